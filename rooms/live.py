"""Live sessions as the pages show them: the dashboard's own live state (from webhook events),
reconciled with Telnyx on a schedule shared by every viewer, never once per open browser.

A session is read in one of two modes:

- **events**: webhooks are on and an event about the session has been applied. Pages read the
  database; Telnyx is asked about the session at most once every ``LIVE_RECONCILE_SECS``.
- **polling**: no event about it (no public key, or none arrived yet). Telnyx is asked every
  ``LIVE_SESSION_POLL_SECS``, still once for all viewers together.

Either way one request per period asks Telnyx: a lease in the shared cache (``cache.add``: atomic
on Redis and on the embedded file cache) decides which; every other request reads the snapshot it
stored. Merging the two sources: a participant id is one join (a rejoin is a new id), so a leave
seen by either source is final, and a session ended by either source has ended.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from dashboard.errors import Unavailable, telnyx_call
from dashboard.telnyx import Room, RoomParticipant, RoomSession, get_client
from rooms.services import ParticipantRow, SessionDetail, SessionRow, get_room, room_names
from webhooks.live import SessionState, session_state
from webhooks.models import LiveParticipant, LiveSession

T = TypeVar("T")

EVENTS, POLLING = "events", "polling"
_SESSION_KEY, _SESSION_LEASE = "live:session:{}", "live:lease:session:{}"
_ACTIVE_KEY, _ACTIVE_LEASE = "live:active", "live:lease:active"
#: A request that finds another one reconciling and nothing stored yet waits this long for it.
PEER_WAIT_SECS = 3.0
#: Snapshots outlive their period so a page can show the last one while Telnyx is down.
_KEEP_SECS = 3600


@dataclass(slots=True)
class Fetched:
    value: Any
    at: float  # Unix time of the Telnyx answer
    error: str = ""  # set when Telnyx failed and ``value`` is the last answer


def webhooks_on() -> bool:
    return bool(settings.TELNYX_WEBHOOK_PUBLIC_KEY)


def _shared(key: str, lease: str, max_age: float, fetch: Callable[[], Any], *, wait: bool) -> Fetched | None:
    """The snapshot under ``key``, fetched anew by at most one request per ``max_age``.

    ``None``: another request is fetching, nothing is stored yet, and ``wait`` is false (the
    caller has events to show meanwhile). ``NotFound`` and friends pass through; ``Unavailable``
    too when there is no earlier snapshot to answer with.
    """
    stored: Fetched | None = cache.get(key)
    if stored is not None and time.time() - stored.at < max_age:
        return stored
    if cache.add(lease, 1, timeout=max(1, math.ceil(max_age))):
        try:
            value = fetch()
        except Unavailable as exc:
            if stored is None:
                raise
            return Fetched(value=stored.value, at=stored.at, error=exc.message)
        fresh = Fetched(value=value, at=time.time())
        cache.set(key, fresh, _KEEP_SECS)
        return fresh
    if stored is not None or not wait:
        return stored
    deadline = time.monotonic() + PEER_WAIT_SECS
    while time.monotonic() < deadline:
        time.sleep(0.05)
        stored = cache.get(key)
        if stored is not None:
            return stored
    fresh = Fetched(value=fetch(), at=time.time())
    cache.set(key, fresh, _KEEP_SECS)
    return fresh


def remember_session(session: RoomSession) -> None:
    """Store a session Telnyx just returned (after a moderation action, say) as the snapshot."""
    cache.set(_SESSION_KEY.format(session.id), Fetched(value=session, at=time.time()), _KEEP_SECS)


def _fetch_session(session_id: str) -> RoomSession:
    with telnyx_call("load the session"):
        return get_client().get_session(session_id, include_participants=True)


def mode_of(state: SessionState | None) -> str:
    return EVENTS if webhooks_on() and state is not None else POLLING


def period_secs(mode: str) -> float:
    """How often Telnyx is asked about a session in ``mode``."""
    return float(settings.LIVE_RECONCILE_SECS if mode == EVENTS else settings.LIVE_SESSION_POLL_SECS)


def browser_poll_secs(mode: str) -> float:
    """How often an open page reads the dashboard's own state (no Telnyx call in events mode)."""
    return float(settings.LIVE_EVENTS_POLL_SECS if mode == EVENTS else settings.LIVE_SESSION_POLL_SECS)


def session_detail(*, session_id: str, room: Room | None = None, with_room: bool = True) -> SessionDetail:
    """The session as the console shows it: events merged over the shared Telnyx snapshot."""
    state = session_state(session_id)
    mode = mode_of(state)
    snapshot = _shared(
        _SESSION_KEY.format(session_id),
        _SESSION_LEASE.format(session_id),
        period_secs(mode),
        lambda: _fetch_session(session_id),
        wait=mode == POLLING,
    )
    detail = merge(snapshot.value if snapshot else None, state, session_id=session_id)
    detail.source = mode
    detail.checked_at = datetime.fromtimestamp(snapshot.at, UTC) if snapshot else None
    detail.stale_error = snapshot.error if snapshot else ""
    if room is None and with_room and detail.session.room_id:
        try:
            room = get_room(room_id=detail.session.room_id)
        except Exception:  # noqa: BLE001 - the room's name is a nicety on this page
            room = None
    detail.room = room
    return detail


def _aware(at: datetime | None) -> datetime | None:
    return at if at is None or timezone.is_aware(at) else at.replace(tzinfo=UTC)


def merge(remote: RoomSession | None, state: SessionState | None, *, session_id: str) -> SessionDetail:
    """One ``SessionDetail`` from Telnyx's snapshot and the events (either may be missing)."""
    now = timezone.now()
    session = RoomSession(
        id=session_id,
        room_id=(remote.room_id if remote else None) or (state.room_id if state else None),
        active=True,
        created_at=(remote.created_at if remote else None) or (state.started_at if state else None),
        ended_at=(remote.ended_at if remote else None) or (state.ended_at if state else None),
    )
    session.active = not (
        (remote is not None and (remote.active is False or remote.ended_at is not None))
        or (state is not None and not state.active)
    )
    if session.active:
        session.ended_at = None
    people: dict[str, RoomParticipant] = {}
    for p in (remote.participants or []) if remote else []:
        people[p.id] = RoomParticipant(
            id=p.id, session_id=session_id, context=p.context, joined_at=p.joined_at, left_at=p.left_at
        )
    for e in state.participants if state else []:
        known = people.get(e.participant_id)
        left = e.left_at if e.left_at and (e.joined_at is None or e.left_at >= e.joined_at) else None
        if known is None:
            people[e.participant_id] = RoomParticipant(
                id=e.participant_id,
                session_id=session_id,
                context=e.context,
                joined_at=e.joined_at,
                left_at=left,
            )
            continue
        known.joined_at = known.joined_at or e.joined_at
        known.left_at = known.left_at or left
        known.context = known.context or e.context
    end = session.ended_at or now
    rows = [
        ParticipantRow(
            participant=p,
            present=p.left_at is None and bool(session.active),
            muted=None,
            seconds_present=_seconds(p.joined_at, p.left_at or end),
        )
        for p in people.values()
    ]
    rows.sort(key=lambda r: (not r.present, _aware(r.participant.joined_at) or now))
    return SessionDetail(session=session, room=None, rows=rows)


def _seconds(start: datetime | None, end: datetime | None) -> int:
    if start is None or end is None:
        return 0
    return max(0, int((end - start).total_seconds()))


# --- every live session (the overview, a room's live list) --------------------------------------------


@dataclass(slots=True)
class LiveList:
    rows: list[SessionRow] = field(default_factory=list)
    source: str = POLLING
    error: str = ""


def _fetch_active() -> list[RoomSession]:
    with telnyx_call("list the live sessions"):
        return list(get_client().list_sessions(page_size=250, active=True, include_participants=True).items)


def live_sessions() -> list[SessionRow]:
    """Every live session with how many are present (``live_list`` with its mode)."""
    return live_list().rows


def live_list() -> LiveList:
    """Live sessions from Telnyx's shared list of active sessions merged with events.

    A session events saw start after that list was fetched is live too; one an event ended is not.
    """
    on = webhooks_on()
    period = float(settings.LIVE_RECONCILE_SECS if on else settings.LIVE_SESSION_POLL_SECS)
    fetched = _shared(_ACTIVE_KEY, _ACTIVE_LEASE, period, _fetch_active, wait=not on)
    remote: dict[str, RoomSession] = {s.id: s for s in (fetched.value if fetched else [])}
    fetched_at = datetime.fromtimestamp(fetched.at, UTC) if fetched else None
    sessions: dict[str, RoomSession] = dict(remote)
    states: dict[str, LiveSession] = {}
    if on:
        known = LiveSession.objects.filter(session_id__in=list(remote)) | LiveSession.objects.filter(
            ended_at__isnull=True
        )
        for live in known:
            states[live.session_id] = live
            if live.ended_at is not None:
                sessions.pop(live.session_id, None)
            elif live.session_id not in sessions and (
                fetched_at is None or (live.started_at or live.last_event_at or fetched_at) >= fetched_at
            ):
                sessions[live.session_id] = RoomSession(
                    id=live.session_id, room_id=live.room_id, active=True, created_at=live.started_at
                )
    left: set[str] = set()
    present: dict[str, set[str]] = {sid: set() for sid in sessions}
    for sid, s in remote.items():
        for p in s.participants or []:
            (left.add(p.id) if p.left_at is not None else present.setdefault(sid, set()).add(p.id))
    if on and sessions:
        for pid, sid, joined, gone in LiveParticipant.objects.filter(
            session__session_id__in=list(sessions)
        ).values_list("participant_id", "session__session_id", "joined_at", "left_at"):
            if gone is not None and (joined is None or gone >= joined):
                left.add(pid)
            elif joined is not None:
                present.setdefault(sid, set()).add(pid)
    names = room_names([s.room_id or "" for s in sessions.values()])
    rows = [
        SessionRow(
            session=s,
            room_name=names.get(s.room_id or "", ""),
            present=len(present.get(s.id, set()) - left),
        )
        for s in sessions.values()
    ]
    rows.sort(key=lambda r: _aware(r.session.created_at) or timezone.now(), reverse=True)
    source = EVENTS if on and states else POLLING
    return LiveList(rows=rows, source=source, error=fetched.error if fetched else "")


def room_live(*, room_id: str) -> SessionDetail | None:
    """The room's live session as the console shows it, or ``None`` when nobody is in the room."""
    for row in live_list().rows:
        if row.session.room_id == room_id:
            return session_detail(session_id=row.session.id, with_room=False)
    return None
