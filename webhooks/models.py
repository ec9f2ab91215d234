"""Stored Telnyx events, the secret receiver URL, and the live state events keep.

Events are the fast path, polling the safety net: every verified event is stored first (the sender
gets its 2xx only once the row is committed), then applied by a Celery task. Live state keeps, per
session and per participant, the latest time each fact was reported, so events that arrive out of
order or twice end in the same state.
"""

from __future__ import annotations

from datetime import datetime

from django.db import models

from dashboard.converters import room_url, session_url

#: The video event types the dashboard acts on (``webhooks.applying.HANDLERS`` has one each).
VIDEO_EVENT_TYPES = (
    "video.room.session.started",
    "video.room.session.ended",
    "video.room.participant.joined",
    "video.room.participant.left",
    "video.room.recording.started",
    "video.room.recording.completed",
    "video.room.composition.completed",
)


class WebhookEvent(models.Model):
    """One event as Telnyx sent it, de-duplicated on its id, and whether it has been applied.

    ``applied_at`` empty and ``apply_error`` empty: waiting for the task (a sweep requeues it);
    ``apply_error`` set: failed, shown with "apply again"; ``applied_at`` set: done (``apply_note``
    says what applying did when it did nothing, e.g. an event type the dashboard does not act on).
    """

    class AcceptedBy(models.TextChoices):
        SIGNATURE = "signature", "Signature"
        SECRET_URL = "secret_url", "Secret URL"

    event_id = models.CharField(max_length=64, unique=True)
    event_type = models.CharField(max_length=100, db_index=True)
    room_id = models.CharField(max_length=64, blank=True, db_index=True)
    session_id = models.CharField(max_length=64, blank=True, db_index=True)
    occurred_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(db_index=True)
    raw_body = models.TextField()
    payload = models.JSONField(default=dict)
    accepted_by = models.CharField(max_length=16, choices=AcceptedBy.choices)
    applied_at = models.DateTimeField(null=True, blank=True)
    apply_note = models.CharField(max_length=255, blank=True)
    apply_error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["applied_at", "received_at"], name="webhooks_pending_idx")]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"

    @property
    def room_url(self) -> str:
        """The room's page, when the event names a room by a real Telnyx id."""
        return room_url(self.room_id)

    @property
    def session_url(self) -> str:
        return session_url(self.session_id)

    @property
    def failed(self) -> bool:
        return self.applied_at is None and bool(self.apply_error)


class SecretReceiver(models.Model):
    """The secret receiver URL for accounts whose events arrive unsigned (one row at most).

    Only the SHA-256 of the token is kept: the URL is shown once, when it is turned on or rotated;
    rotating replaces the hash, so the old URL answers 404 at once.
    """

    token_sha256 = models.CharField(max_length=64, unique=True)
    token_hint = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=150, blank=True)

    def __str__(self) -> str:
        return f"secret receiver …{self.token_hint}"


class LiveSession(models.Model):
    """A session as events describe it; ``started_at``/``ended_at`` are event times (``occurred_at``)."""

    session_id = models.CharField(max_length=64, unique=True)
    room_id = models.CharField(max_length=64, blank=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_reason = models.CharField(max_length=64, blank=True)
    last_event_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.session_id

    @property
    def active(self) -> bool:
        return self.ended_at is None


class LiveParticipant(models.Model):
    """A participant as events describe them: the latest join and leave times seen, by event time.

    Present when it joined after it last left; a ``left`` that arrives before its ``joined`` still
    ends as left, because the older ``joined`` never moves ``joined_at`` past ``left_at``.
    """

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="participants")
    participant_id = models.CharField(max_length=64, unique=True)
    context = models.CharField(max_length=255, blank=True)
    joined_at = models.DateTimeField(null=True, blank=True)
    left_at = models.DateTimeField(null=True, blank=True)
    left_reason = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["joined_at", "id"]

    def __str__(self) -> str:
        return self.participant_id

    @property
    def present(self) -> bool:
        return _is_present(self.joined_at, self.left_at)


def _is_present(joined_at: datetime | None, left_at: datetime | None) -> bool:
    if joined_at is None:
        return False
    return left_at is None or joined_at > left_at
