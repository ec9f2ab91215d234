"""The audit log's one table."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from dashboard.converters import room_url, session_url


class AuditEntry(models.Model):
    """One change made through the dashboard, and whether Telnyx accepted it; or one access (a
    download or a play of a recording or composition: ``ACCESS_ACTIONS``).

    Written for every room create/edit/delete, join token, moderation action, recording and
    composition deletion, change to a person's account, and every download and play. ``username``
    is kept beside the foreign key so the log still reads correctly after an account is deleted.
    """

    class Action(models.TextChoices):
        ROOM_CREATE = "room.create", "Room created"
        ROOM_UPDATE = "room.update", "Room edited"
        ROOM_DELETE = "room.delete", "Room deleted"
        TOKEN_GENERATE = "token.generate", "Join token generated"
        TOKEN_REFRESH = "token.refresh", "Join token refreshed"
        MUTE = "session.mute", "Muted"
        UNMUTE = "session.unmute", "Unmuted"
        KICK = "session.kick", "Kicked"
        END = "session.end", "Session ended"
        RECORDING_DOWNLOAD = "recording.download", "Recording downloaded"
        RECORDING_DELETE = "recording.delete", "Recording deleted"
        RECORDINGS_BULK_DELETE = "recording.bulk_delete", "Recordings bulk-deleted"
        COMPOSITION_CREATE = "composition.create", "Composition created"
        COMPOSITION_DOWNLOAD = "composition.download", "Composition downloaded"
        COMPOSITION_DELETE = "composition.delete", "Composition deleted"
        RECORDING_PLAY = "recording.play", "Recording played"
        COMPOSITION_PLAY = "composition.play", "Composition played"
        USER_CREATE = "user.create", "Person added"
        USER_ROLE = "user.role", "Role changed"
        USER_DEACTIVATE = "user.deactivate", "Person deactivated"
        USER_REACTIVATE = "user.reactivate", "Person reactivated"
        USER_PASSWORD = "user.password", "Password reset"
        RETENTION_RUN = "retention.run", "Retention run"
        HOLD_ADD = "hold.add", "Legal hold set"
        HOLD_RELEASE = "hold.release", "Legal hold released"
        SHARE_CREATE = "share.create", "Share link made"
        SHARE_REVOKE = "share.revoke", "Share link revoked"
        SHARE_USE = "share.use", "Share link used"

    class Category(models.TextChoices):
        """Changes (what the dashboard did) and access (what someone fetched: downloads, plays)."""

        CHANGE = "change", "Changes"
        ACCESS = "access", "Access (downloads, plays, share links)"

    #: The actions that read rather than change: kept apart so "every change" stays true.
    ACCESS_ACTIONS = frozenset(
        {
            Action.RECORDING_DOWNLOAD,
            Action.RECORDING_PLAY,
            Action.COMPOSITION_DOWNLOAD,
            Action.COMPOSITION_PLAY,
            Action.SHARE_USE,
        }
    )

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_entries",
    )
    username = models.CharField(max_length=150)
    action = models.CharField(max_length=40, choices=Action.choices, db_index=True)
    room_id = models.CharField(max_length=64, blank=True, db_index=True)
    room_name = models.CharField(max_length=255, blank=True)
    session_id = models.CharField(max_length=64, blank=True, db_index=True)
    # Participant ids, recording ids or filters: whatever the action was aimed at.
    target = models.JSONField(default=dict, blank=True)
    succeeded = models.BooleanField()
    # The sentence shown to the user: what Telnyx accepted, or why it refused.
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "audit entry"
        verbose_name_plural = "audit log"
        # The names the table and index were created with (by rooms 0001): the model moved, the data did not.
        db_table = "rooms_auditentry"
        indexes = [models.Index(fields=["username", "-created_at"], name="rooms_audit_usernam_0b2f39_idx")]

    def __str__(self) -> str:
        outcome = "ok" if self.succeeded else "refused"
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.username} {self.action} ({outcome})"

    @property
    def category(self) -> str:
        return self.Category.ACCESS if self.action in self.ACCESS_ACTIONS else self.Category.CHANGE

    @property
    def room_url(self) -> str:
        """The room's page, when the entry names a room by a real Telnyx id."""
        return room_url(self.room_id)

    @property
    def session_url(self) -> str:
        return session_url(self.session_id)
