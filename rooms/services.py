"""Rooms, sessions and participants: the rules, used by views and tasks.

Every function takes keyword arguments, talks to Telnyx only through ``dashboard.telnyx`` and raises
a ``dashboard.errors.UserError`` (a sentence a user can read, plus field errors for a 422) instead
of a client error. Every room create/edit/delete writes one ``AuditEntry`` whether Telnyx accepted
it or not. Moderation (``rooms.moderation``) and join tokens (``rooms.tokens``) have modules of
their own.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.cache import cache
from django.utils import timezone

from audit.models import AuditEntry
from audit.services import audited
from dashboard.concurrently import call_concurrently
from dashboard.errors import NotFound, Unavailable, telnyx_call
from dashboard.telnyx import (
    PageMeta,
    Room,
    RoomComposition,
    RoomParticipant,
    RoomRecording,
    RoomSession,
    get_client,
)

logger = logging.getLogger("rooms")

T = TypeVar("T")
User = AbstractBaseUser | AnonymousUser | None

#: Room field bounds (the OpenAPI spec).
MAX_PARTICIPANTS_MIN, MAX_PARTICIPANTS_MAX, MAX_PARTICIPANTS_DEFAULT = 2, 50, 10
WEBHOOK_TIMEOUT_MIN, WEBHOOK_TIMEOUT_MAX = 0, 30

ROOM_FIELDS = (
    "unique_name",
    "max_participants",
    "enable_recording",
    "webhook_event_url",
    "webhook_event_failover_url",
    "webhook_timeout_secs",
)


# --- results ------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Listing:
    """One page of records and Telnyx's (or our own) paging meta."""

    items: list[Any]
    meta: PageMeta


@dataclass(slots=True)
class RoomRow:
    room: Room
    live_session_id: str | None
    present: int


@dataclass(slots=True)
class SessionRow:
    session: RoomSession
    room_name: str
    present: int | None = None
    joined: int | None = None  # everyone who took part (participants listed with the session)

    @property
    def duration_secs(self) -> int | None:
        """How long it lasted (so far, for a live session)."""
        start = self.session.created_at
        if start is None:
            return None
        return _seconds(start, self.session.ended_at or timezone.now())


@dataclass(slots=True)
class ParticipantRow:
    participant: RoomParticipant
    present: bool
    muted: bool | None  # None: unknown (the dashboard has not muted or unmuted this participant)
    seconds_present: int


@dataclass(slots=True)
class SessionDetail:
    session: RoomSession
    room: Room | None
    rows: list[ParticipantRow] = field(default_factory=list)
    #: Where the live state came from (``rooms.live``): "events" or "polling"; "" for a plain read.
    source: str = ""
    checked_at: datetime | None = None  # when Telnyx was last asked about it
    stale_error: str = ""  # why Telnyx's answer is older than its period
    people: list[Any] = field(default_factory=list)  # ``rooms.moderation.Person``, one per person

    @property
    def present(self) -> list[ParticipantRow]:
        return [r for r in self.rows if r.present]

    @property
    def active(self) -> bool:
        return bool(self.session.active)


@dataclass(slots=True)
class RoomMedia:
    recordings: Listing
    compositions: Listing


@dataclass(slots=True)
class RoomDetail:
    room: Room
    live: SessionDetail | None
    sessions: Listing


# --- rooms ------------------------------------------------------------------------------------------


def _present_by_room() -> dict[str, tuple[str, int]]:
    """room id -> (live session id, participants present), in one call for every live session."""
    page = get_client().list_sessions(page_size=250, active=True, include_participants=True)
    return {
        s.room_id or "": (s.id, sum(1 for p in s.participants or [] if p.left_at is None)) for s in page.items
    }


def list_rooms(
    *,
    page: int = 1,
    page_size: int = 20,
    name: str = "",
    created_from: date | None = None,
    created_to: date | None = None,
) -> Listing:
    """A page of rooms (newest first) as ``RoomRow``s, with live sessions and who is present.

    The API filters ``unique_name`` by equality only; a name search matches any part of the name,
    so it walks every room (date filters still go to the API) and pages locally.
    """
    with telnyx_call("list the rooms"):
        client = get_client()
        if name.strip():
            needle = name.strip().casefold()
            found = [
                r
                for r in client.iter_rooms(date_created_at__gte=created_from, date_created_at__lte=created_to)
                if needle in (r.unique_name or "").casefold()
            ]
            total = len(found)
            pages = max(1, -(-total // page_size))
            page = min(max(page, 1), pages)
            items = found[(page - 1) * page_size : page * page_size]
            meta = PageMeta(page_number=page, page_size=page_size, total_pages=pages, total_results=total)
        else:
            result = client.list_rooms(
                page=max(page, 1),
                page_size=page_size,
                date_created_at__gte=created_from,
                date_created_at__lte=created_to,
            )
            items, meta = result.items, result.meta
        live = _present_by_room() if any(r.active_session_id for r in items) else {}
    rows = []
    for room in items:
        session_id, present = live.get(room.id, (room.active_session_id, 0))
        rows.append(
            RoomRow(room=room, live_session_id=room.active_session_id and session_id, present=present)
        )
    return Listing(items=rows, meta=meta)


def get_room(*, room_id: str) -> Room:
    with telnyx_call("load the room"):
        room = get_client().get_room(room_id)
    _remember_name(room)
    return room


def _remember_name(room: Room) -> None:
    """Names rarely change; ``room_names`` answers from here without a call."""
    cache.set(f"rooms:name:{room.id}", room.unique_name or "", 3600)


def get_room_detail(*, room_id: str, sessions_page: int = 1, page_size: int = 10) -> RoomDetail:
    """A room with its live session (participants included) and one page of its past sessions.

    The past sessions are asked for while the room and its live session are loaded (the live
    session needs the room's answer first), so the page waits for two calls, not three.
    """

    def room_and_live() -> tuple[Room, SessionDetail | None]:
        room = get_room(room_id=room_id)
        if not room.active_session_id:
            return room, None
        try:
            return room, get_session(session_id=room.active_session_id, room=room)
        except NotFound:  # it ended between the two calls
            return room, None

    def past_sessions() -> Listing:
        with telnyx_call("list the room's sessions"):
            page = get_client().list_room_sessions(room_id, page=max(sessions_page, 1), page_size=page_size)
        return Listing(items=page.items, meta=page.meta)

    (room, live), sessions = call_concurrently(room_and_live, past_sessions)
    return RoomDetail(room=room, live=live, sessions=sessions)


def get_room_media(*, room_id: str, page_size: int = 10) -> RoomMedia:
    """The room's newest recordings and compositions, as Telnyx lists them (asked for at once)."""
    recordings, compositions = call_concurrently(
        lambda: list_room_recordings(room_id=room_id, page_size=page_size),
        lambda: list_room_compositions(room_id=room_id, page_size=page_size),
    )
    return RoomMedia(recordings=recordings, compositions=compositions)


def list_room_recordings(*, room_id: str, page_size: int = 10) -> Listing:
    with telnyx_call("list the room's recordings"):
        page = get_client().list_recordings(room_id=room_id, page_size=page_size)
    items: list[RoomRecording] = page.items
    return Listing(items=items, meta=page.meta)


def list_room_compositions(*, room_id: str, page_size: int = 10) -> Listing:
    """Compositions of the room, among the newest 250 of the account.

    The API filters compositions by session, not by room; one page filtered here costs one call
    where asking per session would cost one per session.
    """
    with telnyx_call("list the room's compositions"):
        client = get_client()
        page = client.list_compositions(page_size=250)
        items: list[RoomComposition] = [c for c in page.items if c.room_id == room_id][:page_size]
    meta = PageMeta(page_number=1, page_size=page_size, total_pages=1, total_results=len(items))
    return Listing(items=items, meta=meta)


def _room_fields(values: dict[str, Any], *, for_update: bool) -> dict[str, Any]:
    """What to send for a room: blank URLs are cleared on update and left out on create."""
    body: dict[str, Any] = {}
    for name in ROOM_FIELDS:
        if name not in values:
            continue
        value = values[name]
        if value == "":
            value = None
        if value is None and not for_update:
            continue
        body[name] = value
    return body


def create_room(*, user: User, **fields: Any) -> Room:
    """Create a room with the given API fields; audited. 422 field errors come back on ``Refused``."""
    body = _room_fields(fields, for_update=False)
    name = body.get("unique_name") or ""
    with (
        audited(
            user=user, action=AuditEntry.Action.ROOM_CREATE, room_name=name, target={"fields": body}
        ) as outcome,
        telnyx_call("create the room"),
    ):
        room = get_client().create_room(**body)
        outcome.message = f"Telnyx created room {room.unique_name or room.id}."
        outcome.where = {"room_id": room.id, "room_name": room.unique_name or ""}
    return room


def update_room(*, user: User, room_id: str, **fields: Any) -> Room:
    body = _room_fields(fields, for_update=True)
    with (
        audited(
            user=user,
            action=AuditEntry.Action.ROOM_UPDATE,
            room_id=room_id,
            room_name=str(fields.get("unique_name") or ""),
            target={"fields": body},
        ) as outcome,
        telnyx_call("save the room"),
    ):
        room = get_client().update_room(room_id, **body)
        _remember_name(room)
        outcome.message = f"Telnyx saved room {room.unique_name or room.id}."
        outcome.where = {"room_id": room.id, "room_name": room.unique_name or ""}
    return room


def delete_room(*, user: User, room_id: str, room_name: str = "") -> str:
    """Delete a room (Telnyx ends its live session); returns the sentence shown to the user."""
    with (
        audited(
            user=user, action=AuditEntry.Action.ROOM_DELETE, room_id=room_id, room_name=room_name
        ) as outcome,
        telnyx_call("delete the room"),
    ):
        get_client().delete_room(room_id)
        outcome.message = f"Telnyx deleted room {room_name or room_id}."
    return outcome.message


def room_names(room_ids: Sequence[str]) -> dict[str, str]:
    """Names for room ids, from the cache where known, else one ``get_room`` each (names rarely change)."""
    wanted = {r for r in room_ids if r}
    names = {
        k.removeprefix("rooms:name:"): v
        for k, v in cache.get_many([f"rooms:name:{r}" for r in wanted]).items()
    }
    for room_id in wanted - set(names):
        try:
            names[room_id] = get_room(room_id=room_id).unique_name or ""
        except NotFound:
            names[room_id] = "(deleted room)"
    return names


# --- sessions ---------------------------------------------------------------------------------------


def list_sessions(
    *,
    room_id: str | None = None,
    active: bool | None = None,
    on_date: date | None = None,
    page: int = 1,
    page_size: int = 20,
) -> Listing:
    """Sessions of one room or of all rooms, newest first, as ``SessionRow``s (with room names).

    ``on_date`` keeps the sessions that started that day.
    """
    with telnyx_call("list the sessions"):
        result = get_client().list_sessions(
            page=max(page, 1),
            page_size=page_size,
            room_id=room_id or None,
            active=active,
            date_created_at=on_date,
            include_participants=True,
        )
        names = room_names([s.room_id or "" for s in result.items])
    rows = [
        SessionRow(
            session=s,
            room_name=names.get(s.room_id or "", ""),
            present=sum(1 for p in s.participants or [] if p.left_at is None) if s.active else 0,
            joined=len(s.participants) if s.participants is not None else None,
        )
        for s in result.items
    ]
    return Listing(items=rows, meta=result.meta)


ROOM_CHOICES_TTL_SECS = 60


def room_choices() -> list[tuple[str, str]]:
    """(room id, name) of every room, by name: the sessions filter's dropdown. Cached a minute
    for everyone (names rarely change); empty when Telnyx cannot answer (the filter then takes the
    room from the address only)."""
    cached = cache.get("rooms:choices")
    if cached is not None:
        return list(cached)
    try:
        with telnyx_call("list the rooms"):
            rooms = list(get_client().iter_rooms())
    except Unavailable:
        return []
    choices = sorted(((r.id, r.unique_name or "") for r in rooms), key=lambda c: (c[1] or "~").casefold())
    cache.set("rooms:choices", choices, ROOM_CHOICES_TTL_SECS)
    for room in rooms:
        _remember_name(room)
    return choices


def live_sessions() -> list[SessionRow]:
    """Every live session with how many are present and since when (the overview)."""
    with telnyx_call("list the live sessions"):
        page = get_client().list_sessions(page_size=250, active=True, include_participants=True)
        names = room_names([s.room_id or "" for s in page.items])
    return [
        SessionRow(
            session=s,
            room_name=names.get(s.room_id or "", ""),
            present=sum(1 for p in s.participants or [] if p.left_at is None),
        )
        for s in page.items
    ]


def get_session(*, session_id: str, room: Room | None = None, with_room: bool = True) -> SessionDetail:
    """A session with every participant, present first (mute state: ``rooms.moderation.console``).

    With ``with_room`` its room too (one more call unless ``room`` is given); the polling table and
    the moderation actions leave it out.
    """
    with telnyx_call("load the session"):
        session = get_client().get_session(session_id, include_participants=True)
    participants = session.participants or []
    now = timezone.now()
    rows = [
        ParticipantRow(
            participant=p,
            present=p.left_at is None and bool(session.active),
            muted=None,
            seconds_present=_seconds(p.joined_at, p.left_at or session.ended_at or now),
        )
        for p in participants
    ]
    rows.sort(key=lambda r: (not r.present, r.participant.joined_at or now))
    if room is None and with_room and session.room_id:
        try:
            room = get_room(room_id=session.room_id)
        except (NotFound, Unavailable):
            room = None
    return SessionDetail(session=session, room=room, rows=rows)


def _seconds(start: datetime | None, end: datetime | None) -> int:
    if start is None or end is None:
        return 0
    return max(0, int((end - start).total_seconds()))


def list_participants(*, session_id: str) -> list[RoomParticipant]:
    with telnyx_call("list the participants"):
        return list(get_client().iter_session_participants(session_id))


def get_participant(*, participant_id: str) -> RoomParticipant:
    with telnyx_call("load the participant"):
        return get_client().get_participant(participant_id)
