"""Rooms, sessions, participants, moderation and join tokens: the rules, used by views and tasks.

Every function takes keyword arguments, talks to Telnyx only through ``dashboard.telnyx`` and raises
a ``RoomsError`` (a sentence a user can read, plus field errors for a 422) instead of a client error.
Every change (room create/edit/delete, join token, mute/unmute/kick/end) writes one ``AuditEntry``
whether Telnyx accepted it or not.

Mute state: the API has none. What the dashboard knows is derived from its own successful
mute/unmute actions in the audit log (``known_mutes``): an action on "all" applies to the
participants who had joined before it was sent, minus those it excluded; a later action wins.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.cache import cache
from django.utils import timezone

from dashboard.telnyx import AuthenticationError as TelnyxAuthError
from dashboard.telnyx import (
    NotFoundError,
    NotRetriedError,
    PageMeta,
    RateLimitedError,
    Room,
    RoomComposition,
    RoomParticipant,
    RoomRecording,
    RoomSession,
    ServerError,
    TelnyxConnectionError,
    TelnyxError,
    TelnyxTimeout,
    ValidationError,
    get_client,
)
from dashboard.telnyx import PermissionDeniedError as TelnyxPermissionError
from rooms.audit import audited, record_action
from rooms.models import AuditEntry

logger = logging.getLogger("rooms")

T = TypeVar("T")
User = AbstractBaseUser | AnonymousUser | None

#: Join token bounds (TELNYX-FACTS.md).
TOKEN_TTL_MIN, TOKEN_TTL_MAX, TOKEN_TTL_DEFAULT = 10, 3600, 600
REFRESH_TTL_MIN, REFRESH_TTL_MAX, REFRESH_TTL_DEFAULT = 60, 86400, 3600
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


# --- domain errors --------------------------------------------------------------------------------


class RoomsError(Exception):
    """A Telnyx call failed; ``message`` says so in a sentence a user can read (never the API key).

    ``field_errors`` maps a form field to its messages (from a 422); ``None`` holds messages that
    name no field.
    """

    def __init__(self, message: str, *, field_errors: dict[str | None, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field_errors = field_errors or {}

    def __str__(self) -> str:
        return self.message


class TelnyxUnavailable(RoomsError):
    """Telnyx is down, slow, rate limiting or refusing the key: show a banner and the last data."""


class NotFound(RoomsError):
    """No such room, session or participant (any more)."""


class Rejected(RoomsError):
    """Telnyx refused the request (422 and other 4xx); ``field_errors`` say where, for a 422."""


class OutcomeUnknown(RoomsError):
    """A create may or may not have happened (timeout after sending); the message says what to check."""


def _domain_error(exc: TelnyxError, what: str) -> RoomsError:
    if isinstance(exc, ValidationError):
        fields: dict[str | None, list[str]] = {}
        for name, message in exc.field_errors:
            root = name.split(".")[0] if name else None
            fields.setdefault(root, []).append(message)
        return Rejected(f"Telnyx refused to {what}: {exc.message}", field_errors=fields)
    if isinstance(exc, NotFoundError):
        return NotFound(exc.message)
    if isinstance(exc, NotRetriedError):
        return OutcomeUnknown(f"Could not {what}: {exc.message}")
    if isinstance(
        exc,
        TelnyxTimeout | TelnyxConnectionError | ServerError | RateLimitedError | TelnyxAuthError,
    ):
        return TelnyxUnavailable(f"Could not {what}: {exc.message}")
    if isinstance(exc, TelnyxPermissionError):
        return Rejected(f"Telnyx refused to {what}: {exc.message}")
    return Rejected(f"Could not {what}: {exc.message}")


@contextmanager
def _telnyx(what: str) -> Iterator[None]:
    """Turn client errors into domain errors; ``what`` completes "Could not …" (e.g. "list the rooms")."""
    try:
        yield
    except TelnyxError as exc:
        logger.info("telnyx call failed (%s): %s", what, exc.message)
        raise _domain_error(exc, what) from None


# --- last known data --------------------------------------------------------------------------------


@dataclass(slots=True)
class Snapshot:
    """What a page shows: fresh data, or the last data it could get with the reason it is stale."""

    value: Any
    stale: bool = False
    error: str = ""
    fetched_at: datetime | None = None


SNAPSHOT_TTL = 7 * 24 * 3600


def last_known(key: str, fetch: Callable[[], T], *, default: Any = None) -> Snapshot:
    """Call ``fetch``; remember its value under ``key`` in the shared cache; when Telnyx is unavailable
    answer with the remembered value (or ``default``) and the reason, so a page never fails on it.

    ``NotFound`` and ``Rejected`` are not hidden: they are answers, not outages.
    """
    cache_key = f"rooms:last-known:{key}"
    try:
        value = fetch()
    except TelnyxUnavailable as exc:
        remembered = cache.get(cache_key)
        if remembered is None:
            return Snapshot(value=default, stale=True, error=exc.message)
        value, at = remembered
        return Snapshot(value=value, stale=True, error=exc.message, fetched_at=at)
    now = timezone.now()
    try:
        cache.set(cache_key, (value, now), SNAPSHOT_TTL)
    except Exception:  # a cache outage must not break a page that has its data
        logger.warning("could not remember %s in the cache", key, exc_info=True)
    return Snapshot(value=value, fetched_at=now)


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


@dataclass(slots=True)
class ParticipantRow:
    participant: RoomParticipant
    present: bool
    muted: bool | None  # None: the dashboard has not muted or unmuted this participant
    seconds_present: int


@dataclass(slots=True)
class SessionDetail:
    session: RoomSession
    room: Room | None
    rows: list[ParticipantRow] = field(default_factory=list)

    @property
    def present(self) -> list[ParticipantRow]:
        return [r for r in self.rows if r.present]

    @property
    def active(self) -> bool:
        return bool(self.session.active)


@dataclass(slots=True)
class RoomDetail:
    room: Room
    live: SessionDetail | None
    sessions: Listing


@dataclass(slots=True)
class ModerationResult:
    accepted: bool
    message: str
    detail: SessionDetail | None = None


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
    filters = {"date_created_at__gte": created_from, "date_created_at__lte": created_to}
    with _telnyx("list the rooms"):
        client = get_client()
        if name.strip():
            needle = name.strip().casefold()
            found = [r for r in client.iter_rooms(**filters) if needle in (r.unique_name or "").casefold()]
            total = len(found)
            pages = max(1, -(-total // page_size))
            page = min(max(page, 1), pages)
            items = found[(page - 1) * page_size : page * page_size]
            meta = PageMeta(page_number=page, page_size=page_size, total_pages=pages, total_results=total)
        else:
            result = client.list_rooms(page=max(page, 1), page_size=page_size, **filters)
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
    with _telnyx("load the room"):
        room = get_client().get_room(room_id)
    cache.set(f"rooms:name:{room.id}", room.unique_name or "", 3600)
    return room


def get_room_detail(*, room_id: str, sessions_page: int = 1, page_size: int = 10) -> RoomDetail:
    """A room with its live session (participants included) and one page of its past sessions."""
    room = get_room(room_id=room_id)
    live = None
    if room.active_session_id:
        try:
            live = get_session(session_id=room.active_session_id, room=room)
        except NotFound:  # it ended between the two calls
            live = None
    with _telnyx("list the room's sessions"):
        page = get_client().list_room_sessions(room_id, page=max(sessions_page, 1), page_size=page_size)
    return RoomDetail(room=room, live=live, sessions=Listing(items=page.items, meta=page.meta))


def list_room_recordings(*, room_id: str, page_size: int = 10) -> Listing:
    with _telnyx("list the room's recordings"):
        page = get_client().list_recordings(room_id=room_id, page_size=page_size)
    items: list[RoomRecording] = page.items
    return Listing(items=items, meta=page.meta)


def list_room_compositions(*, room_id: str, page_size: int = 10) -> Listing:
    """Compositions of the room, among the newest 250 of the account.

    The API filters compositions by session, not by room; one page filtered here costs one call
    where asking per session would cost one per session.
    """
    with _telnyx("list the room's compositions"):
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
    """Create a room with the given API fields; audited. 422 field errors come back on ``Rejected``."""
    body = _room_fields(fields, for_update=False)
    name = body.get("unique_name") or ""
    with (
        audited(
            user=user, action=AuditEntry.Action.ROOM_CREATE, room_name=name, target={"fields": body}
        ) as outcome,
        _telnyx("create the room"),
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
        _telnyx("save the room"),
    ):
        room = get_client().update_room(room_id, **body)
        outcome.message = f"Telnyx saved room {room.unique_name or room.id}."
        outcome.where = {"room_id": room.id, "room_name": room.unique_name or ""}
    return room


def delete_room(*, user: User, room_id: str, room_name: str = "") -> str:
    """Delete a room (Telnyx ends its live session); returns the sentence shown to the user."""
    with (
        audited(
            user=user, action=AuditEntry.Action.ROOM_DELETE, room_id=room_id, room_name=room_name
        ) as outcome,
        _telnyx("delete the room"),
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
    with _telnyx("list the sessions"):
        result = get_client().list_sessions(
            page=max(page, 1),
            page_size=page_size,
            room_id=room_id or None,
            active=active,
            date_created_at=on_date,
        )
        names = room_names([s.room_id or "" for s in result.items])
    rows = [SessionRow(session=s, room_name=names.get(s.room_id or "", "")) for s in result.items]
    return Listing(items=rows, meta=result.meta)


def live_sessions() -> list[SessionRow]:
    """Every live session with how many are present and since when (the overview)."""
    with _telnyx("list the live sessions"):
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
    """A session with every participant (present first) and the mute state the dashboard knows.

    With ``with_room`` its room too (one more call unless ``room`` is given); the polling table and
    the moderation actions leave it out.
    """
    with _telnyx("load the session"):
        session = get_client().get_session(session_id, include_participants=True)
    participants = session.participants or []
    mutes = known_mutes(session_id=session.id, participants=participants)
    now = timezone.now()
    rows = [
        ParticipantRow(
            participant=p,
            present=p.left_at is None and bool(session.active),
            muted=mutes.get(p.id),
            seconds_present=_seconds(p.joined_at, p.left_at or session.ended_at or now),
        )
        for p in participants
    ]
    rows.sort(key=lambda r: (not r.present, r.participant.joined_at or now))
    if room is None and with_room and session.room_id:
        try:
            room = get_room(room_id=session.room_id)
        except (NotFound, TelnyxUnavailable):
            room = None
    return SessionDetail(session=session, room=room, rows=rows)


def _seconds(start: datetime | None, end: datetime | None) -> int:
    if start is None or end is None:
        return 0
    return max(0, int((end - start).total_seconds()))


def list_participants(*, session_id: str) -> list[RoomParticipant]:
    with _telnyx("list the participants"):
        return list(get_client().iter_session_participants(session_id))


def get_participant(*, participant_id: str) -> RoomParticipant:
    with _telnyx("load the participant"):
        return get_client().get_participant(participant_id)


# --- moderation -------------------------------------------------------------------------------------

_ACTIONS = {
    "mute": (AuditEntry.Action.MUTE, "mute", "muted"),
    "unmute": (AuditEntry.Action.UNMUTE, "unmute", "unmuted"),
    "kick": (AuditEntry.Action.KICK, "kick", "kicked"),
}


def known_mutes(*, session_id: str, participants: Sequence[RoomParticipant]) -> dict[str, bool]:
    """participant id -> muted, from this dashboard's accepted mute/unmute actions (one query).

    An action on "all" counts for participants who joined before it was sent and were not excluded;
    an action on a list counts for those ids. The latest action that applies wins.
    """
    entries = AuditEntry.objects.filter(
        session_id=session_id,
        action__in=[AuditEntry.Action.MUTE, AuditEntry.Action.UNMUTE],
        succeeded=True,
    ).order_by("created_at", "id")
    state: dict[str, bool] = {}
    joined = {p.id: p.joined_at for p in participants}
    for entry in entries.only("action", "target", "created_at"):
        muted = entry.action == AuditEntry.Action.MUTE
        target = entry.target or {}
        chosen = target.get("participants")
        excluded = set(target.get("exclude") or [])
        sent_at = _parse_instant(target.get("sent_at")) or entry.created_at
        if chosen == "all":
            ids = [pid for pid, at in joined.items() if at is None or at <= sent_at]
        else:
            ids = [pid for pid in chosen or [] if pid in joined]
        for pid in ids:
            if pid not in excluded:
                state[pid] = muted
    return state


def _parse_instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _describe(
    verb: str, participants: str | list[str], exclude: list[str], names: dict[str, str], count: int | None
) -> str:
    def label(pid: str) -> str:
        return names.get(pid) or pid[:8]

    if participants == "all":
        who = "all participants" if count is None else f"all {count} participant{'s' if count != 1 else ''}"
        if exclude:
            who += " except " + ", ".join(label(p) for p in exclude)
    else:
        who = ", ".join(label(p) for p in participants)
    return f"{verb} {who}"


def moderate(
    *,
    user: User,
    session_id: str,
    action: str,
    participants: str | Sequence[str],
    exclude: Sequence[str] = (),
) -> ModerationResult:
    """Mute, unmute or kick ``"all"`` or a list of participant ids, minus ``exclude``; audited.

    Returns whether Telnyx accepted it, the sentence to show, and the session's new state (one
    more call; ``None`` if that read failed). Never raises for a refusal: a refused action is an
    answer the moderator must see, and it is in the audit log.
    """
    audit_action, infinitive, past = _ACTIONS[action]
    chosen: str | list[str] = "all" if participants == "all" else [str(p) for p in participants]
    excluded = [str(p) for p in exclude]
    sent_at = timezone.now()
    target = {"participants": chosen, "exclude": excluded, "sent_at": sent_at.isoformat()}
    client = get_client()
    error: RoomsError | None = None
    try:
        if not chosen:
            raise Rejected("Choose at least one participant first.")
        with _telnyx(f"{infinitive} participants"):
            getattr(client, f"{action}_participants")(session_id, chosen, exclude=excluded or None)
    except RoomsError as exc:
        error = exc
    detail = _detail_after_action(session_id)
    names = {r.participant.id: r.participant.context or "" for r in detail.rows} if detail else {}
    count = None
    if chosen == "all" and action != "kick" and detail is not None and error is None:
        # Mute and unmute leave everyone in place: those present now, minus the excluded, were affected.
        count = len([r for r in detail.rows if r.present and r.participant.id not in excluded])
    if error is None:
        message = "Telnyx accepted: " + _describe(past, chosen, excluded, names, count) + "."
    else:
        message = f"Telnyx refused to {_describe(infinitive, chosen, excluded, names, None)}: {error.message}"
    record_action(
        user=user,
        action=audit_action,
        succeeded=error is None,
        message=message,
        room_id=(detail.session.room_id or "") if detail else "",
        room_name=(detail.room.unique_name or "") if detail and detail.room else "",
        session_id=session_id,
        target=target,
    )
    if error is None and detail is not None:
        # The table was read before this action's audit entry existed: apply it to the known state.
        detail.rows = [_with_mute(row, action, chosen, excluded, sent_at) for row in detail.rows]
    return ModerationResult(accepted=error is None, message=message, detail=detail)


def _with_mute(
    row: ParticipantRow, action: str, chosen: str | list[str], excluded: list[str], sent_at: datetime
) -> ParticipantRow:
    if action == "kick":
        return row
    pid = row.participant.id
    joined = row.participant.joined_at
    applies = (chosen == "all" and (joined is None or joined <= sent_at)) or (
        chosen != "all" and pid in chosen
    )
    if applies and pid not in excluded:
        row.muted = action == "mute"
    return row


def _detail_after_action(session_id: str) -> SessionDetail | None:
    try:
        return get_session(session_id=session_id, with_room=False)
    except RoomsError:
        return None


def end_session(*, user: User, session_id: str) -> ModerationResult:
    """End a live session (Telnyx kicks everyone); audited, never raises for a refusal."""
    error: RoomsError | None = None
    try:
        with _telnyx("end the session"):
            get_client().end_session(session_id)
    except RoomsError as exc:
        error = exc
    detail = _detail_after_action(session_id)
    message = "Telnyx ended the session." if error is None else error.message
    record_action(
        user=user,
        action=AuditEntry.Action.END,
        succeeded=error is None,
        message=message,
        room_id=(detail.session.room_id or "") if detail else "",
        session_id=session_id,
        target={"participants": "all"},
    )
    return ModerationResult(accepted=error is None, message=message, detail=detail)


def moderation_history(*, session_id: str) -> list[AuditEntry]:
    """Every moderation action taken through the dashboard on a session, oldest first."""
    return list(
        AuditEntry.objects.filter(
            session_id=session_id,
            action__in=[
                AuditEntry.Action.MUTE,
                AuditEntry.Action.UNMUTE,
                AuditEntry.Action.KICK,
                AuditEntry.Action.END,
            ],
        ).order_by("created_at", "id")
    )


# --- join tokens ------------------------------------------------------------------------------------


def generate_join_token(
    *,
    user: User,
    room_id: str,
    room_name: str = "",
    token_ttl_secs: int = TOKEN_TTL_DEFAULT,
    refresh_token_ttl_secs: int = REFRESH_TTL_DEFAULT,
) -> Any:
    """A join token and its refresh token for a room; audited (the token itself is never stored)."""
    target = {"token_ttl_secs": token_ttl_secs, "refresh_token_ttl_secs": refresh_token_ttl_secs}
    with (
        audited(
            user=user,
            action=AuditEntry.Action.TOKEN_GENERATE,
            room_id=room_id,
            room_name=room_name,
            target=target,
        ) as outcome,
        _telnyx("generate a join token"),
    ):
        token = get_client().generate_join_token(
            room_id, token_ttl_secs=token_ttl_secs, refresh_token_ttl_secs=refresh_token_ttl_secs
        )
        outcome.message = f"Telnyx issued a join token valid for {token_ttl_secs} s."
    return token


def refresh_join_token(
    *,
    user: User,
    room_id: str,
    refresh_token: str,
    room_name: str = "",
    token_ttl_secs: int = TOKEN_TTL_DEFAULT,
) -> Any:
    """A fresh join token from a refresh token; audited."""
    with audited(
        user=user,
        action=AuditEntry.Action.TOKEN_REFRESH,
        room_id=room_id,
        room_name=room_name,
        target={"token_ttl_secs": token_ttl_secs},
    ) as outcome:
        if not refresh_token:
            raise Rejected("There is no refresh token to use; generate a new join token.")
        with _telnyx("refresh the join token"):
            token = get_client().refresh_join_token(
                room_id, refresh_token=refresh_token, token_ttl_secs=token_ttl_secs
            )
        outcome.message = f"Telnyx refreshed the join token for {token_ttl_secs} s."
    return token
