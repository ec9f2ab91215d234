"""Moderating a live session: mute, unmute, kick, end; what the dashboard knows of mutes; history.

Mute state: the API has none. What the dashboard knows comes from its own accepted mute/unmute
actions in the audit log, by one rule (``mute_state``): an action on "all" applies to the
participants who had joined before it was sent, minus those it excluded; an action on a list applies
to those ids; the latest action that applies wins. Every action is audited whether Telnyx accepted
it or not, and none raises for a refusal: a refused action is an answer the moderator must see.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from audit.models import AuditEntry
from audit.services import record_action
from dashboard.errors import Refused, UserError, telnyx_call
from dashboard.telnyx import Room, RoomParticipant, get_client
from rooms.services import SessionDetail, get_session

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


def mute_state(*, session_id: str, participants: Sequence[RoomParticipant]) -> dict[str, bool]:
    """participant id -> muted, from this dashboard's accepted mute/unmute actions (one query)."""
    entries = AuditEntry.objects.filter(
        session_id=session_id,
        action__in=[AuditEntry.Action.MUTE, AuditEntry.Action.UNMUTE],
        succeeded=True,
    ).order_by("created_at", "id")
    state: dict[str, bool] = {}
    joined = {p.id: p.joined_at for p in participants}
    for entry in entries.only("action", "target", "created_at"):
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
                state[pid] = entry.action == AuditEntry.Action.MUTE
    return state


def _parse_instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def with_mute_state(detail: SessionDetail) -> SessionDetail:
    """The session's rows with the mute state the dashboard knows (``None`` where it knows none)."""
    mutes = mute_state(session_id=detail.session.id, participants=[r.participant for r in detail.rows])
    for row in detail.rows:
        row.muted = mutes.get(row.participant.id)
    return detail


def console(*, session_id: str, room: Room | None = None, with_room: bool = True) -> SessionDetail:
    """The live console's view of a session: ``get_session`` plus the known mute state."""
    return with_mute_state(get_session(session_id=session_id, room=room, with_room=with_room))


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
    try:
        return get_session(session_id=session_id, with_room=False)
    except UserError:
        return None


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
