"""Compositions: ask Telnyx to compose an ended session, then poll it until it is final.

Polling is a chain of Celery tasks, each queued by the poll before it with a growing countdown
(``poll_interval``); a periodic sweep requeues chains that were lost. A completed composition is
archived when the archive is on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from audit.models import AuditEntry
from audit.services import audited
from dashboard import display
from dashboard.celery import enqueue
from dashboard.errors import NotFound, Refused, UserError, telnyx_call
from dashboard.telnyx import get_client
from recordings.models import Composition, Recording
from recordings.services.sync_rows import upsert_compositions, upsert_recordings

logger = logging.getLogger(__name__)

#: Compositions whose poll is this late are taken to have lost their task.
LOST_POLL_GRACE_SECS = 60

#: Polling doubles from 1 s up to this cap, so a completion is seen within about this long (plus
#: the worker's latency) while it is likely: most compositions finish within minutes.
FAST_POLL_CAP_SECS = 15.0
#: How long after the request the fast cap holds; after it, one poll a minute until the deadline.
FAST_PHASE_SECS = 1800.0
SLOW_POLL_SECS = 60.0


def session_video_recordings(*, session_id: str) -> list[Recording]:
    """The session's video recordings: from the local table, else asked of Telnyx (and stored)."""
    videos = Recording.objects.filter(
        session_id=session_id, type=Recording.Type.VIDEO, gone_upstream=False
    ).order_by("started_at")
    local = list(videos)
    if local:
        return local
    with telnyx_call("list the session's video recordings"):
        items = list(get_client().iter_recordings(session_id=session_id, type="video"))
    if items:
        upsert_recordings(items)
    return list(videos.all())


def video_sources(*, session_id: str) -> list[tuple[str, str]]:
    """(recording id, label) of the session's video recordings: the choices of a layout's sources.

    The label leads with the participant's name (the layout preview shows the part before the
    first " · "), then how long and from when: "bob · 31 min 36 s · from 14:05:09 UTC".
    """
    return [(r.telnyx_id, source_label(r)) for r in session_video_recordings(session_id=session_id)]


def source_label(recording: Recording) -> str:
    who = recording.participant_context or f"unnamed participant {recording.participant_id[:8]}"
    parts = [who, display.duration(recording.duration_secs)]
    if recording.started_at:
        parts.append(f"from {display.clock(recording.started_at)}")
    return " · ".join(parts)


@dataclass(frozen=True)
class CompositionPlace:
    """Where a composition comes from, in names: its room, its session's start, and the names of
    the recordings its layout shows."""

    room_name: str
    session_started_at: datetime | None
    source_names: dict[str, str]


def composition_place(composition: Composition) -> CompositionPlace:
    """Names for a composition's room, session and sources, from the local recordings (no API call)."""
    recordings = list(
        Recording.objects.filter(session_id=composition.session_id).only(
            "telnyx_id", "room_name", "participant_context", "participant_id", "started_at"
        )
    )
    room_name = next((r.room_name for r in recordings if r.room_name), "")
    starts = [r.started_at for r in recordings if r.started_at]
    return CompositionPlace(
        room_name=room_name,
        session_started_at=min(starts) if starts else None,
        source_names={
            r.telnyx_id: r.participant_context or f"unnamed {r.participant_id[:8]}" for r in recordings
        },
    )


def ensure_session_ended(*, session_id: str) -> None:
    """Refuse a session that is still live: Telnyx composes ended sessions only."""
    with telnyx_call("look up the session"):
        session = get_client().get_session(session_id)
    if session.active:
        raise Refused(
            "This session is still live; a composition can be made once it has ended.",
            field_errors=[("session_id", "The session is still live.")],
        )


def create_composition(
    *, user: Any, session_id: str, resolution: str, video_layout: dict[str, dict[str, Any]] | None
) -> Composition:
    """Ask Telnyx for a composition of an ended session, store it, audit it, start polling it."""
    ensure_session_ended(session_id=session_id)
    target: dict[str, Any] = {"resolution": resolution, "video_layout": video_layout}
    with audited(
        user=user, action=AuditEntry.Action.COMPOSITION_CREATE, session_id=session_id, target=target
    ) as outcome:
        with telnyx_call("create the composition"):
            remote = get_client().create_composition(
                session_id=session_id, format="mp4", resolution=resolution, video_layout=video_layout
            )
        target["composition_id"] = remote.id
        outcome.message = f"Composition {remote.id} requested ({resolution})."
        # The room by name too, as the recordings know it, so the audit log reads as a name.
        room_name = (
            Recording.objects.filter(session_id=session_id, room_name__gt="")
            .values_list("room_name", flat=True)
            .first()
        )
        outcome.where = {"room_id": remote.room_id or "", "room_name": room_name or ""}
    with transaction.atomic():
        upsert_compositions([remote])
        composition = Composition.objects.get(telnyx_id=remote.id)
        composition.requested_by = user if getattr(user, "is_authenticated", False) else None
        composition.poll_deadline_at = timezone.now() + timedelta(seconds=settings.COMPOSITION_DEADLINE_SECS)
        composition.next_poll_at = timezone.now() + timedelta(seconds=poll_interval(0))
        composition.save(update_fields=["requested_by", "poll_deadline_at", "next_poll_at"])
        enqueue("recordings.tasks.poll_composition", composition.pk, countdown=poll_interval(0))
    return composition


def poll_interval(attempt: int, *, elapsed_secs: float = 0.0) -> float:
    """Seconds before poll number ``attempt + 1``, ``elapsed_secs`` after the composition was asked
    for: 1, 2, 4, 8, then every 15 s for the first half hour, then once a minute (always below the
    broker's retry countdown ceiling). To the default two-hour deadline that is at most about 210
    calls; a completion in the first half hour is seen within 15 s of it."""
    if elapsed_secs >= FAST_PHASE_SECS:
        delay = SLOW_POLL_SECS
    else:
        delay = min(2.0 ** min(attempt, 10), FAST_POLL_CAP_SECS)
    return float(min(delay, settings.CELERY_TASK_MAX_RETRY_COUNTDOWN))


def poll_composition(*, composition_pk: int) -> float | None:
    """Fetch the composition's status once and queue the next poll; returns its delay, or None when
    the composition is final (completed, stalled past its deadline, gone) and polling ends.

    A temporary error propagates (the task retries it); a permanent one is recorded on the row and
    ends polling.
    """
    composition = Composition.objects.filter(pk=composition_pk).first()
    if composition is None or composition.is_final:
        return None
    now = timezone.now()
    try:
        with telnyx_call("check the composition's progress"):
            remote = get_client().get_composition(composition.telnyx_id)
    except NotFound:
        Composition.objects.filter(pk=composition_pk).update(
            gone_upstream=True, gone_upstream_at=now, next_poll_at=None
        )
        return None
    except UserError as exc:
        if exc.temporary:
            raise
        Composition.objects.filter(pk=composition_pk).update(last_error=exc.message, next_poll_at=None)
        return None
    upsert_compositions([remote], now=now)
    attempts = composition.poll_attempts + 1
    if remote.status == Composition.Status.COMPLETED:
        Composition.objects.filter(pk=composition_pk).update(
            poll_attempts=attempts, next_poll_at=None, last_error=""
        )
        if settings.RECORDINGS_ARCHIVE:
            enqueue("recordings.tasks.archive_composition", composition_pk)
        return None
    if composition.poll_deadline_at and now >= composition.poll_deadline_at:
        Composition.objects.filter(pk=composition_pk).update(
            poll_attempts=attempts, stalled_at=now, next_poll_at=None
        )
        logger.warning(
            "composition %s stalled: still %s after its deadline", composition.telnyx_id, remote.status
        )
        return None
    delay = poll_interval(attempts, elapsed_secs=(now - composition.first_seen_at).total_seconds())
    Composition.objects.filter(pk=composition_pk).update(
        poll_attempts=attempts, next_poll_at=now + timedelta(seconds=delay), last_error=""
    )
    enqueue("recordings.tasks.poll_composition", composition_pk, countdown=delay)
    return delay


def compositions_due_for_polling(*, grace_secs: float = LOST_POLL_GRACE_SECS) -> list[int]:
    """Compositions in flight whose poll is overdue (its task was lost)."""
    now = timezone.now()
    return list(
        Composition.objects.filter(gone_upstream=False, stalled_at__isnull=True)
        .exclude(status=Composition.Status.COMPLETED)
        .filter(Q(next_poll_at__isnull=True) | Q(next_poll_at__lte=now - timedelta(seconds=grace_secs)))
        .values_list("pk", flat=True)[:500]
    )


def requeue_lost_polls() -> int:
    """Queue a poll for every composition whose poll is overdue; returns how many."""
    due = compositions_due_for_polling()
    for pk in due:
        enqueue("recordings.tasks.poll_composition", pk)
    return len(due)
