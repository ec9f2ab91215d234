"""Recordings and compositions in Django's admin site (Admin role): a raw view of the local rows."""

from django.contrib import admin

from recordings.models import Composition, Recording, SyncRun


@admin.register(Recording)
class RecordingAdmin(admin.ModelAdmin):
    list_display = (
        "telnyx_id",
        "room_name",
        "session_id",
        "participant_id",
        "type",
        "status",
        "size_mb",
        "duration_secs",
        "started_at",
        "gone_upstream",
    )
    list_filter = ("type", "status", "gone_upstream")
    search_fields = ("telnyx_id", "room_id", "session_id", "participant_id", "room_name")
    date_hierarchy = "started_at"
    ordering = ("-started_at", "-id")
    show_full_result_count = False
    readonly_fields = ("first_seen_at", "last_seen_at", "last_synced_at")


@admin.register(Composition)
class CompositionAdmin(admin.ModelAdmin):
    list_display = ("telnyx_id", "session_id", "status", "resolution", "size_mb", "created_at", "stalled_at")
    list_filter = ("status", "gone_upstream")
    search_fields = ("telnyx_id", "room_id", "session_id")
    ordering = ("-created_at", "-id")


@admin.register(SyncRun)
class SyncRunAdmin(admin.ModelAdmin):
    list_display = (
        "started_at",
        "kind",
        "outcome",
        "api_calls",
        "seen",
        "created",
        "updated",
        "gone",
        "error",
    )
    list_filter = ("kind", "outcome")
