"""Recording and composition events applied at once, so nobody waits for the next sync or poll.

A completed recording is upserted by its Telnyx id through the recordings sync's own upsert (a row
the sync already holds only takes the event's facts: the sync's other fields are kept). A completed
composition's row is marked completed, which ends its polling (the status is final). A session that
ended queues a recordings sync, which finds that session's recordings.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone

from dashboard.celery import enqueue
from dashboard.telnyx import RoomRecording
from recordings.models import Composition, Recording
from recordings.services import sync

_RECORDING_FACTS = ("room_id", "session_id", "participant_id", "type", "codec", "download_url")


def _number(value: Any) -> float | None:
    try:
        return None if value is None or isinstance(value, bool) else float(value)
    except (TypeError, ValueError):
        return None


def recording_completed(payload: dict[str, Any], *, at: datetime) -> str:
    """Upsert the recording the event names, completed, with its download link."""
    recording_id = str(payload["recording_id"])
    item = RoomRecording.from_api(
        {
            **{name: payload.get(name) for name in _RECORDING_FACTS},
            "id": recording_id,
            "status": "completed",
            "size_mb": payload.get("size_mb"),
            "duration_secs": payload.get("duration_secs"),
            "completed_at": at.isoformat(),
            "record_type": "room_recording",
        }
    )
    known = Recording.objects.filter(telnyx_id=recording_id)
    if not known.exists():
        sync.upsert_recordings([item])
        return "Recording added as completed."
    size, duration = _number(payload.get("size_mb")), _number(payload.get("duration_secs"))
    changes: dict[str, Any] = {
        name: getattr(item, name) for name in _RECORDING_FACTS if getattr(item, name) not in (None, "")
    }
    changes.update(status="completed", last_seen_at=timezone.now())
    if size is not None:
        changes["size_mb"] = size
    if duration is not None:
        changes["duration_secs"] = int(duration)
    known.filter(completed_at__isnull=True).update(completed_at=at)
    known.update(**changes)
    return "Recording marked completed."


def composition_completed(payload: dict[str, Any], *, at: datetime) -> str:
    """Mark the local composition completed (its polling stops: the status is final)."""
    composition_id = str(payload["composition_id"])
    rows = Composition.objects.filter(telnyx_id=composition_id)
    if not rows.exists():
        return "No such composition here; the recordings sync brings it in."
    size, duration = _number(payload.get("size_mb")), _number(payload.get("duration_secs"))
    changes: dict[str, Any] = {"status": Composition.Status.COMPLETED, "next_poll_at": None, "last_error": ""}
    for name in ("download_url", "format", "resolution"):
        if payload.get(name):
            changes[name] = str(payload[name])
    if size is not None:
        changes["size_mb"] = size
    if duration is not None:
        changes["duration_secs"] = int(duration)
    rows.filter(completed_at__isnull=True).update(completed_at=at)
    rows.update(**changes)
    if settings.RECORDINGS_ARCHIVE:
        for pk in rows.values_list("pk", flat=True):
            enqueue("recordings.tasks.archive_composition", pk)
    return "Composition marked completed."


def session_ended() -> str:
    """Queue a recordings sync: the session's recordings are listed as soon as Telnyx has them."""
    sync.queue_sync()
    return "Recordings sync queued for the session's recordings."
