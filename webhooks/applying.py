"""Applying stored Telnyx events: idempotent (each event row is claimed under a lock), and live state
only ever moves forward in event time; the sweep that requeues lost ones and the one that deletes
old ones."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dashboard.celery import enqueue
from dashboard.errors import NotFound, Refused
from governance import triggers
from webhooks import live, media
from webhooks.models import VIDEO_EVENT_TYPES, WebhookEvent

logger = logging.getLogger("webhooks")

#: An event not applied this long after it arrived is queued again by the sweep (its task was lost).
PENDING_GRACE = timedelta(seconds=60)
#: ``apply_waiting`` looks for the newest waiting events again after applying this many.
WAITING_CHUNK = 20
#: The sweep gives up on an event after this many attempts (it shows as failed, with "apply again").
MAX_ATTEMPTS = 5


# --- applying -----------------------------------------------------------------------------------------


def _at(event: WebhookEvent) -> datetime:
    return event.occurred_at or event.received_at


def _text(payload: dict[str, Any], name: str) -> str:
    value = payload.get(name)
    return "" if value is None else str(value)


def _require(payload: dict[str, Any], *names: str) -> None:
    missing = [name for name in names if not payload.get(name)]
    if missing:
        raise ValueError(f"The payload has no {', '.join(missing)}.")


def _session_started(event: WebhookEvent) -> str:
    _require(event.payload, "session_id")
    live.session_started(session_id=event.session_id, room_id=event.room_id, at=_at(event))
    return ""


def _session_ended(event: WebhookEvent) -> str:
    _require(event.payload, "session_id")
    reason = _text(event.payload, "ended_reason")
    live.session_ended(session_id=event.session_id, room_id=event.room_id, at=_at(event), reason=reason)
    triggers.session_may_be_ready(event.session_id)  # an automatic composition rule may now compose it
    return media.session_ended()


def _participant_joined(event: WebhookEvent) -> str:
    p = event.payload
    _require(p, "session_id", "participant_id")
    live.participant_joined(
        session_id=event.session_id,
        room_id=event.room_id,
        participant_id=_text(p, "participant_id"),
        context=_text(p, "context"),
        at=_at(event),
    )
    return ""


def _participant_left(event: WebhookEvent) -> str:
    p = event.payload
    _require(p, "session_id", "participant_id")
    live.participant_left(
        session_id=event.session_id,
        room_id=event.room_id,
        participant_id=_text(p, "participant_id"),
        context=_text(p, "context"),
        reason=_text(p, "left_reason"),
        at=_at(event),
    )
    return ""


def _recording_started(event: WebhookEvent) -> str:
    return "Stored; the recording is listed once it completes (its own event) or by the sync."


def _recording_completed(event: WebhookEvent) -> str:
    _require(event.payload, "recording_id")
    note = media.recording_completed(event.payload, at=_at(event))
    triggers.session_may_be_ready(event.session_id)  # its session may now have every recording done
    return note


def _composition_completed(event: WebhookEvent) -> str:
    _require(event.payload, "composition_id")
    return media.composition_completed(event.payload, at=_at(event))


HANDLERS: dict[str, Callable[[WebhookEvent], str]] = {
    "video.room.session.started": _session_started,
    "video.room.session.ended": _session_ended,
    "video.room.participant.joined": _participant_joined,
    "video.room.participant.left": _participant_left,
    "video.room.recording.started": _recording_started,
    "video.room.recording.completed": _recording_completed,
    "video.room.composition.completed": _composition_completed,
}
assert set(HANDLERS) == set(VIDEO_EVENT_TYPES)


def apply_event(*, pk: int) -> bool:
    """Apply one stored event once; return whether this call applied it.

    The row is claimed under a lock (``select_for_update``; SQLite's immediate transactions
    serialise writers) and only while not yet applied, so concurrent or repeated tasks apply it once.
    A payload the handler cannot use is a permanent failure: recorded on the row, shown with "apply
    again", never retried by itself. Database errors propagate for the task to retry.
    """
    with transaction.atomic():
        claim = WebhookEvent.objects.select_for_update(skip_locked=True)  # another worker has it: let it
        event = claim.filter(pk=pk, applied_at__isnull=True).first()
        if event is None:
            return False
        event.attempts += 1
        handler = HANDLERS.get(event.event_type)
        try:
            with transaction.atomic():
                note = handler(event) if handler else "Stored only: not an event type the dashboard acts on."
        except (KeyError, TypeError, ValueError) as exc:
            event.apply_error = str(exc) or type(exc).__name__
            event.save(update_fields=["attempts", "apply_error"])
            logger.warning("webhook event %s could not be applied: %s", event.event_id, event.apply_error)
            return False
        event.applied_at = timezone.now()
        event.apply_note = note[:255]
        event.apply_error = ""
        event.save(update_fields=["attempts", "applied_at", "apply_note", "apply_error"])
    return True


def apply_waiting(*, limit: int = 200, budget_secs: float = 10.0) -> int:
    """Apply up to ``limit`` other events still waiting, newest arrival first, for at most
    ``budget_secs``; the number this call applied.

    An apply task calls it after its own event: in a burst, the first tasks apply what has arrived
    and the tasks queued behind them find their events done (one broker round-trip per event
    would make live state trail the burst by as many round-trips). The newest are looked up again
    after every ``WAITING_CHUNK``, so what arrived last (what a moderator is watching now) goes
    next, not after everything older: just behind 1,000 other events a join reached the console
    in 88/100 ms p50/p95 (embedded default) and 100/182 ms (PostgreSQL + Redis), where oldest
    first took 3.4/7.0 s and 0.6/8.8 s (bench/webhooks.py --only latency). Order does not change
    the result (live state only moves forward in event time), every event keeps its own task, and
    each is claimed on its own, so nothing is left behind and nothing is applied twice.
    """
    deadline = time.monotonic() + budget_secs
    waiting = WebhookEvent.objects.filter(applied_at__isnull=True, apply_error="").order_by("-pk")
    tried: set[int] = set()
    applied = 0
    while applied < limit and time.monotonic() < deadline:
        pks = list(waiting.exclude(pk__in=tried).values_list("pk", flat=True)[:WAITING_CHUNK])
        if not pks:
            break
        for pk in pks:
            if applied >= limit or time.monotonic() > deadline:
                break
            tried.add(pk)
            applied += apply_event(pk=pk)
    return applied


def apply_again(*, pk: int) -> WebhookEvent:
    """Queue a failed event for another attempt (``Refused`` when it has not failed)."""
    event = WebhookEvent.objects.filter(pk=pk).first()
    if event is None:
        raise NotFound("No such event.")
    if not event.failed:
        raise Refused("Only an event that failed to apply can be applied again.")
    with transaction.atomic():
        WebhookEvent.objects.filter(pk=pk, applied_at__isnull=True).update(apply_error="")
        enqueue("webhooks.tasks.apply_event", pk)
    event.refresh_from_db()
    return event


def requeue_pending() -> int:
    """Queue again the events that were stored but whose task was lost (broker down, worker killed);
    the number queued."""
    cutoff = timezone.now() - PENDING_GRACE
    pks = list(
        WebhookEvent.objects.filter(
            applied_at__isnull=True, apply_error="", received_at__lt=cutoff, attempts__lt=MAX_ATTEMPTS
        ).values_list("pk", flat=True)[:1000]
    )
    for pk in pks:
        enqueue("webhooks.tasks.apply_event", pk)
    return len(pks)


def delete_old_events(*, keep_days: int | None = None) -> int:
    """Delete events received more than ``keep_days`` (``WEBHOOK_EVENTS_KEEP_DAYS``) ago, and the live
    state of sessions that ended before then; the number of events deleted."""
    days = settings.WEBHOOK_EVENTS_KEEP_DAYS if keep_days is None else keep_days
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = WebhookEvent.objects.filter(received_at__lt=cutoff).delete()
    live.LiveSession.objects.filter(ended_at__lt=cutoff).delete()
    return deleted
