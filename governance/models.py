"""Rules a team can trust and prove: retention policies and their runs, legal holds, automatic
compositions, share links and their uses."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone


class RetentionPolicy(models.Model):
    """A room's override of the default policy (``RETENTION_DAYS``). Days are counted from when a
    recording or composition ended; None keeps that kind for ever."""

    room_id = models.CharField(max_length=64, unique=True)
    room_name = models.CharField(max_length=255, blank=True)
    recordings_days = models.PositiveIntegerField(null=True, blank=True)
    compositions_days = models.PositiveIntegerField(null=True, blank=True)
    # Copy the file into the archive before deleting it in Telnyx (a failed copy skips the deletion).
    archive_first = models.BooleanField(default=False)
    # Delete a session's recordings only once a completed composition of that session exists.
    require_composition = models.BooleanField(default=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["room_name", "room_id"]
        verbose_name_plural = "retention policies"

    def __str__(self) -> str:
        return f"retention of room {self.room_name or self.room_id}"


class RetentionRun(models.Model):
    """One run of retention (dry or real) with its counts; its deletions are ``RetentionDeletion`` rows."""

    class Outcome(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    dry_run = models.BooleanField(default=False)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.RUNNING)
    started_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    recordings = models.PositiveIntegerField(default=0)
    compositions = models.PositiveIntegerField(default=0)
    size_mb = models.FloatField(default=0)
    skipped_held = models.PositiveIntegerField(default=0)
    api_calls = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        kind = "dry run" if self.dry_run else "run"
        return f"retention {kind} {self.started_at:%Y-%m-%d %H:%M:%S} {self.outcome}"


class RetentionDeletion(models.Model):
    """One item a retention run deleted in Telnyx: every deleted id can be found by id."""

    run = models.ForeignKey(RetentionRun, on_delete=models.CASCADE, related_name="deletions")
    kind = models.CharField(max_length=20)  # "recording" | "composition"
    telnyx_id = models.CharField(max_length=64, db_index=True)
    room_id = models.CharField(max_length=64, blank=True)
    session_id = models.CharField(max_length=64, blank=True)
    size_mb = models.FloatField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    archived = models.BooleanField(default=False)
    deleted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-deleted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.telnyx_id} deleted by retention"


class LegalHold(models.Model):
    """Nothing under a hold is deleted: a room, a session, one recording or one composition."""

    class Scope(models.TextChoices):
        ROOM = "room", "Room"
        SESSION = "session", "Session"
        RECORDING = "recording", "Recording"
        COMPOSITION = "composition", "Composition"

    scope = models.CharField(max_length=20, choices=Scope.choices)
    target_id = models.CharField(max_length=64, db_index=True)
    reason = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_name = models.CharField(max_length=150)
    created_at = models.DateTimeField(default=timezone.now)
    released_at = models.DateTimeField(null=True, blank=True, db_index=True)
    released_by_name = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["scope", "target_id"], name="hold_scope_target_idx")]

    def __str__(self) -> str:
        return f"hold on {self.scope} {self.target_id}"

    @property
    def active(self) -> bool:
        return self.released_at is None


class AutoCompositionRule(models.Model):
    """Per room: compose each session once it ended and all its recordings completed."""

    room_id = models.CharField(max_length=64, db_index=True)
    room_name = models.CharField(max_length=255, blank=True)
    resolution = models.CharField(max_length=20, default="1280x720")
    layout = models.CharField(max_length=20, default="grid")
    enabled = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["room_name", "room_id", "id"]

    def __str__(self) -> str:
        return f"compose sessions of {self.room_name or self.room_id} ({self.layout} {self.resolution})"


class AutoComposition(models.Model):
    """The claim of one session by one rule, taken before Telnyx is asked: never two compositions."""

    class State(models.TextChoices):
        CLAIMED = "claimed", "Claimed"
        REQUESTED = "requested", "Requested"
        FAILED = "failed", "Failed"

    rule = models.ForeignKey(AutoCompositionRule, on_delete=models.CASCADE, related_name="claims")
    session_id = models.CharField(max_length=64)
    state = models.CharField(max_length=20, choices=State.choices, default=State.CLAIMED)
    composition_id = models.CharField(max_length=64, blank=True)
    error = models.TextField(blank=True)
    claimed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-claimed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "session_id"], name="one_auto_composition_per_session")
        ]

    def __str__(self) -> str:
        return f"auto composition of {self.session_id} ({self.state})"


class ShareLink(models.Model):
    """An expiring, revocable link to one recording, composition or session bundle. Only the
    SHA-256 of its token is stored; the token is shown once, when the link is made."""

    class Kind(models.TextChoices):
        RECORDING = "recording", "Recording"
        COMPOSITION = "composition", "Composition"
        SESSION = "session", "Session bundle"

    token_hash = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    target_id = models.CharField(max_length=64, db_index=True)
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_name = models.CharField(max_length=150)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by_name = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"share link to {self.kind} {self.target_id}"

    def usable(self, now: datetime | None = None) -> bool:
        return self.revoked_at is None and self.expires_at > (now or timezone.now())

    @property
    def status(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "active" if self.expires_at > timezone.now() else "expired"


class ShareUse(models.Model):
    """One use of a share link: when, from which address, what was fetched."""

    link = models.ForeignKey(ShareLink, on_delete=models.CASCADE, related_name="uses")
    at = models.DateTimeField(default=timezone.now)
    address = models.GenericIPAddressField(null=True, blank=True)
    what = models.CharField(max_length=120)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.what} via link {self.link_id} at {self.at:%Y-%m-%d %H:%M:%S}"
