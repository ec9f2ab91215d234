"""Moderating a live session: mute, unmute, kick, end; what the dashboard knows of mutes; history.

Mute state: the API has none. What the dashboard knows comes from its own accepted mute/unmute
actions in the audit log, by one rule (``mute_state``): an action on "all" applies to the
participants who had joined before it was sent, minus those it excluded; an action on a list applies
to those ids; the latest action that applies wins. Every action is audited whether Telnyx accepted
it or not, and none raises for a refusal: a refused action is an answer the moderator must see.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.utils import timezone

from audit.models import AuditEntry
from audit.services import record_action
from dashboard.errors import Refused, UserError, telnyx_call
from dashboard.telnyx import Room, RoomParticipant, get_client
from rooms import live
from rooms.services import ParticipantRow, SessionDetail, get_session

_ACTIONS: dict[str, tuple[AuditEntry.Action, str, str]] = {
    "mute": (AuditEntry.Action.MUTE, "mute", "muted"),
    "unmute": (AuditEntry.Action.UNMUTE, "unmute", "unmuted"),
    "kick": (AuditEntry.Action.KICK, "kick", "kicked"),
}


@dataclass(slots=True)
class ModerationResult:
    accepted: bool
    message: str
    detail: SessionDetail | None = None


@dataclass(frozen=True, slots=True)
class MuteFact:
    """What the dashboard knows of one participant's mute: its latest accepted action that applied."""

    muted: bool
    by: str
    at: datetime

    def __str__(self) -> str:
        local = timezone.localtime(self.at)
        return f"{'muted' if self.muted else 'unmuted'} by {self.by or 'someone'} at {local:%H:%M}"


def mute_state(*, session_id: str, participants: Sequence[RoomParticipant]) -> dict[str, MuteFact]:
    """participant id -> the latest mute fact, from this dashboard's accepted mute/unmute actions.

    An action on "all" applies to those present when it was sent (joined before it, not left before
    it), minus those it excluded: someone who had already left is never counted as muted or
    unmuted by it. One query.
    """
    entries = AuditEntry.objects.filter(
        session_id=session_id,
        action__in=[AuditEntry.Action.MUTE, AuditEntry.Action.UNMUTE],
        succeeded=True,
    ).order_by("created_at", "id")
    state: dict[str, MuteFact] = {}
    spans = {p.id: (p.joined_at, p.left_at) for p in participants}
    for entry in entries.only("action", "target", "created_at", "username"):
        target = entry.target or {}
        chosen = target.get("participants")
        excluded = set(target.get("exclude") or [])
        sent_at = _parse_instant(target.get("sent_at")) or entry.created_at
        if chosen == "all":
            ids = [
                pid
                for pid, (joined, left) in spans.items()
                if (joined is None or joined <= sent_at) and (left is None or left > sent_at)
            ]
        else:
            ids = [pid for pid in chosen or [] if pid in spans]
        fact = MuteFact(muted=entry.action == AuditEntry.Action.MUTE, by=entry.username, at=sent_at)
        for pid in ids:
            if pid not in excluded:
                state[pid] = fact
    return state


def _parse_instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


@dataclass(slots=True)
class Person:
    """One row of the console: everyone who joined under the same context (a rejoin is a new
    participant id at Telnyx; here it folds into the same row). No context: one row per id."""

    key: str
    label: str
    rows: list[ParticipantRow] = field(default_factory=list)
    mute: MuteFact | None = None

    @property
    def present(self) -> bool:
        return any(r.present for r in self.rows)

    @property
    def present_ids(self) -> list[str]:
        return [r.participant.id for r in self.rows if r.present]

    @property
    def latest(self) -> RoomParticipant:
        return self.rows[-1].participant

    @property
    def joins(self) -> int:
        return len(self.rows)

    @property
    def seconds_present(self) -> int:
        return sum(r.seconds_present for r in self.rows)

    @property
    def first_joined_at(self) -> datetime | None:
        return self.rows[0].participant.joined_at


def people_of(detail: SessionDetail, mutes: dict[str, MuteFact]) -> list[Person]:
    """The session's people, present first, then by first join; each person's joins in order."""
    far = datetime.max.replace(tzinfo=UTC)
    people: dict[str, Person] = {}
    for row in sorted(detail.rows, key=lambda r: r.participant.joined_at or far):
        context = row.participant.context or ""
        key = context or row.participant.id
        person = people.setdefault(key, Person(key=key, label=context or "(no context)"))
        person.rows.append(row)
    for person in people.values():
        # Mute is per connection: a rejoin starts unknown, whatever was known of the earlier one.
        person.mute = mutes.get(person.latest.id)
    return sorted(people.values(), key=lambda p: (not p.present, p.first_joined_at or far))


def with_mute_state(detail: SessionDetail) -> SessionDetail:
    """The session's rows with the mute state the dashboard knows (``None`` where it knows none),
    and its people (``detail.people``)."""
    mutes = mute_state(session_id=detail.session.id, participants=[r.participant for r in detail.rows])
    for row in detail.rows:
        fact = mutes.get(row.participant.id)
        row.muted = fact.muted if fact else None
    detail.people = people_of(detail, mutes)
    return detail


def console(*, session_id: str, room: Room | None = None, with_room: bool = True) -> SessionDetail:
    """The live console's view of a session (``rooms.live``: events over a shared Telnyx check)
    with the known mute state and one row per person."""
    return with_mute_state(live.session_detail(session_id=session_id, room=room, with_room=with_room))


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


def _send(action: str, session_id: str, chosen: str | list[str], excluded: list[str]) -> None:
    client = get_client()
    exclude = excluded or None
    match action:
        case "mute":
            client.mute_participants(session_id, chosen, exclude=exclude)
        case "unmute":
            client.unmute_participants(session_id, chosen, exclude=exclude)
        case "kick":
            client.kick_participants(session_id, chosen, exclude=exclude)
        case _:
            raise ValueError(f"unknown moderation action {action!r}")


def moderate(
    *,
    user: Any,
    session_id: str,
    action: str,
    participants: str | Sequence[str],
    exclude: Sequence[str] = (),
) -> ModerationResult:
    """Mute, unmute or kick ``"all"`` or a list of participant ids, minus ``exclude``; audited.

    Returns whether Telnyx accepted it, the sentence to show, and the session's new state (one
    more call; ``None`` if that read failed).
    """
    audit_action, infinitive, past = _ACTIONS[action]
    chosen: str | list[str] = "all" if participants == "all" else [str(p) for p in participants]
    excluded = [str(p) for p in exclude]
    target = {"participants": chosen, "exclude": excluded, "sent_at": timezone.now().isoformat()}
    error: UserError | None = None
    try:
        if not chosen:
            raise Refused("Choose at least one participant first.")
        with telnyx_call(f"{infinitive} participants"):
            _send(action, session_id, chosen, excluded)
    except UserError as exc:
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
    if detail is not None:
        with_mute_state(detail)  # read after this action's entry exists, so the table shows it
    return ModerationResult(accepted=error is None, message=message, detail=detail)


def _detail_after_action(session_id: str) -> SessionDetail | None:
    """The session after an action: asked of Telnyx now (the shared snapshot takes the answer), with
    the events merged in."""
    try:
        fresh = get_session(session_id=session_id, with_room=False)
    except UserError:
        return None
    live.remember_session(fresh.session)
    state = live.session_state(session_id)
    detail = live.merge(fresh.session, state, session_id=session_id)
    detail.source = live.mode_of(state)
    return detail


def end_session(*, user: Any, session_id: str) -> ModerationResult:
    """End a live session (Telnyx kicks everyone); audited, never raises for a refusal."""
    error: UserError | None = None
    try:
        with telnyx_call("end the session"):
            get_client().end_session(session_id)
    except UserError as exc:
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
    if detail is not None:
        with_mute_state(detail)
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
