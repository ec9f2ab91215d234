"""Local copies of Telnyx room recordings and compositions, and the record of each sync.

Rows are keyed by the Telnyx id (``telnyx_id``, unique) and upserted by it, so a sync that runs
twice, concurrently, or after being killed midway leaves the same rows. A record deleted in Telnyx
stays here with ``gone_upstream`` set: never silently dropped. Every field the API returns is kept
(unknown extra fields in ``extra``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, OrderBy
from django.utils import timezone
from django.utils.deconstruct import deconstructible


@deconstructible(path="recordings.models.NullsLow")
class NullsLow(OrderBy):
    """Order by ``name`` with NULL as the lowest value: ``DESC NULLS LAST`` / ``ASC NULLS FIRST``.

    One order and its exact reverse, so one index serves a list read from either end. It is
    SQLite's own NULL order, so there the modifier is left out (SQLite refuses it in an index);
    PostgreSQL's plain ``DESC`` puts NULLs first and needs it spelled out, in the index as in the query.
    """

    def __init__(self, name: str, descending: bool = True) -> None:
        # OrderBy takes True or None for each; NULLs low means last going down, first going up.
        low = {"nulls_last": True} if descending else {"nulls_first": True}
        super().__init__(F(name), descending=descending, **low)

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return OrderBy(self.expression, descending=self.descending).as_sql(compiler, connection)


class RemoteRecord(models.Model):
    """Bookkeeping shared by both kinds of synced record."""

    telnyx_id = models.CharField(max_length=64, unique=True)
    room_id = models.CharField(max_length=64, blank=True, db_index=True)
    session_id = models.CharField(max_length=64, blank=True, db_index=True)
    status = models.CharField(max_length=20, blank=True, db_index=True)
    size_mb = models.FloatField(null=True, blank=True)
    duration_secs = models.IntegerField(null=True, blank=True)
    # Expires (about 10 minutes); kept for the record, a download always asks Telnyx for a fresh one.
    download_url = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)
    record_type = models.CharField(max_length=40, blank=True)
    extra = models.JSONField(default=dict, blank=True)

    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    last_synced_at = models.DateTimeField(default=timezone.now)
    gone_upstream = models.BooleanField(default=False, db_index=True)
    gone_upstream_at = models.DateTimeField(null=True, blank=True, db_index=True)

    # The archived copy (RECORDINGS_ARCHIVE=1): survives Telnyx's deletion; downloads come from it.
    archive_file = models.FileField(upload_to="archive/%Y/%m/", blank=True, max_length=255)
    archive_size = models.BigIntegerField(null=True, blank=True)
    archive_sha256 = models.CharField(max_length=64, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    archive_error = models.TextField(blank=True)

    class Meta:
        abstract = True

    @property
    def is_archived(self) -> bool:
        return bool(self.archive_file and self.archived_at)


class Recording(RemoteRecord):
    class Type(models.TextChoices):
        AUDIO = "audio", "Audio"
        VIDEO = "video", "Video"

    class Status(models.TextChoices):
        PROCESSING = "processing", "Processing"
        COMPLETED = "completed", "Completed"

    participant_id = models.CharField(max_length=64, blank=True, db_index=True)
    type = models.CharField(max_length=10, blank=True, db_index=True)
    codec = models.CharField(max_length=20, blank=True)
    # Names resolved from Telnyx for display and file names; NULL = not looked up yet.
    room_name = models.CharField(max_length=255, null=True, blank=True)
    participant_context = models.CharField(max_length=255, null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        # The list's orders (browse.SORTS) exactly, behind its gone_upstream filter, so a page read
        # from either end is an index range scan. On PostgreSQL the migration creates them with the
        # sort columns ``DESC NULLS LAST`` (see NullsLow; Django's Index cannot say it portably).
        indexes = [
            models.Index(fields=["-started_at", "-id"], name="rec_started_idx"),  # the admin's order
            models.Index(fields=["gone_upstream", "-started_at", "-id"], name="rec_list_started_idx"),
            models.Index(fields=["gone_upstream", "-size_mb", "-id"], name="rec_list_size_idx"),
            models.Index(fields=["gone_upstream", "-duration_secs", "-id"], name="rec_list_duration_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.type or 'recording'} {self.telnyx_id}"

    @property
    def is_video(self) -> bool:
        return self.type == self.Type.VIDEO

    @property
    def size_bytes(self) -> int | None:
        return round(self.size_mb * 1_000_000) if self.size_mb is not None else None

    @property
    def is_playable(self) -> bool:
        """A file to play or download: completed and still in Telnyx, or archived here."""
        return (self.status == self.Status.COMPLETED and not self.gone_upstream) or self.is_archived


class Composition(RemoteRecord):
    class Status(models.TextChoices):
        ENQUEUED = "enqueued", "Enqueued"
        PROCESSING = "processing", "Processing"
        COMPLETED = "completed", "Completed"

    user_id = models.CharField(max_length=64, blank=True)
    format = models.CharField(max_length=10, blank=True)
    resolution = models.CharField(max_length=20, blank=True)
    video_layout = models.JSONField(null=True, blank=True)
    webhook_event_url = models.TextField(blank=True)
    webhook_event_failover_url = models.TextField(blank=True)
    webhook_timeout_secs = models.IntegerField(null=True, blank=True)

    # Polling state: growing intervals until completed; stalled after the deadline.
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    poll_attempts = models.PositiveIntegerField(default=0)
    next_poll_at = models.DateTimeField(null=True, blank=True)
    poll_deadline_at = models.DateTimeField(null=True, blank=True)
    stalled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["-created_at", "-id"], name="comp_created_idx")]

    def __str__(self) -> str:
        return f"composition {self.telnyx_id}"

    @property
    def is_final(self) -> bool:
        return self.status == self.Status.COMPLETED or self.stalled_at is not None or self.gone_upstream

    @property
    def display_status(self) -> str:
        if self.gone_upstream:
            return "deleted"
        if self.stalled_at is not None and self.status != self.Status.COMPLETED:
            return "stalled"
        return self.status or "unknown"


class RecordingSummary(models.Model):
    """The one row (pk 1) beside the kept figures (``RecordingTally``): when they were last added up
    in full and last folded. A page reads the figures through it in one query; a fold or a recount
    locks it, so two never run at once."""

    refreshed_at = models.DateTimeField(default=timezone.now)
    folded_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"recordings figures added up {self.refreshed_at:%Y-%m-%d %H:%M:%S}"


class RecordingTally(models.Model):
    """What the recordings table adds up to, kept by the database itself (see
    ``recordings.services.totals``): triggers append what each insert, update or delete of a
    recording changed, in the writer's own transaction, so the sums are exact at every commit.

    A bucket row (``gone_upstream`` set) counts recordings, bytes and seconds per UTC day they
    started on (``day`` NULL: no start time), type, status and gone flag; a room row (``room_id``
    set) counts recordings per room id and name; a participant row (``participant`` set) per
    participant name (``participant_context``). Several rows may share a key: the figure is their
    sum, and ``totals.refresh_totals`` folds them into one.
    """

    day = models.DateField(null=True)
    type = models.CharField(max_length=10, null=True)
    status = models.CharField(max_length=20, null=True)
    gone_upstream = models.BooleanField(null=True)
    room_id = models.CharField(max_length=64, null=True)
    room_name = models.CharField(max_length=255, null=True)
    participant = models.CharField(max_length=255, null=True)
    count = models.BigIntegerField(default=0)
    # Bytes (size_mb × 10⁶, rounded per recording): whole numbers add and subtract exactly.
    size_bytes = models.BigIntegerField(default=0)
    duration_secs = models.BigIntegerField(default=0)

    class Meta:
        # The names offered by the participant filter: the first few hundred, read in order.
        indexes = [models.Index(fields=["participant"], name="rec_tally_participant_idx")]

    def __str__(self) -> str:
        if self.participant is not None:
            key = f"participant {self.participant}"
        elif self.room_id is not None:
            key = f"room {self.room_id}"
        else:
            key = f"{self.day} {self.type} {self.status}"
        return f"{key}: {self.count:+d}"


class SyncRun(models.Model):
    """One run of the recordings sync: when, what kind, how it went. The latest is on the page."""

    class Kind(models.TextChoices):
        INCREMENTAL = "incremental", "Incremental"
        FULL = "full", "Full"

    class Outcome(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"
        # Its worker died (killed, lost) while it held the sync lease; the next run closed it.
        ABANDONED = "abandoned", "Abandoned"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.RUNNING)
    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The day incremental listing started from (filter[date_started_at][gte]).
    since = models.DateField(null=True, blank=True)
    api_calls = models.PositiveIntegerField(default=0)
    seen = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    gone = models.PositiveIntegerField(default=0)
    compositions_seen = models.PositiveIntegerField(default=0)
    # Rows inserted or updated (a sync that found nothing changed writes none).
    rows_written = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    # A full walk, resumable: every run of one walk shares ``walk_id``; ``cursor_page`` is the last
    # page completed; the page ids seen are in ``SyncWalkPage``.
    walk_id = models.CharField(max_length=32, blank=True, db_index=True)
    cursor_page = models.PositiveIntegerField(default=0)
    resumed_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The newest ``created_at`` listed: an incremental sync lists down to it and stops.
    high_water = models.DateTimeField(null=True, blank=True)
    # Who holds (held) the lease while this ran: a uuid per run.
    holder = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        get_latest_by = "started_at"

    def __str__(self) -> str:
        return f"{self.kind} sync {self.started_at:%Y-%m-%d %H:%M:%S} {self.outcome}"

    @property
    def duration_secs(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class SyncLease(models.Model):
    """The one lock of the recordings sync: held by ``holder`` until ``expires_at``, renewed while
    the holder works (every page), so a killed holder frees it within the lease time."""

    name = models.CharField(max_length=40, unique=True)
    holder = models.CharField(max_length=32, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} lease held by {self.holder or 'nobody'} until {self.expires_at}"


class SyncWalkPage(models.Model):
    """The recording ids one page of a full walk listed; what lets a resumed walk know what it saw."""

    walk_id = models.CharField(max_length=32)
    number = models.PositiveIntegerField()
    ids = models.TextField()  # space-separated Telnyx ids

    class Meta:
        constraints = [models.UniqueConstraint(fields=["walk_id", "number"], name="walk_page_unique")]

    def __str__(self) -> str:
        return f"walk {self.walk_id} page {self.number}"
