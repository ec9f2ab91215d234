"""Legal holds: nothing under an active hold is deleted, by retention, a single delete or a bulk delete.

The deletion code calls ``refuse_if_held(record)`` (one record) and ``held_recording_ids(ids)`` /
``held_composition_ids(ids)`` (many): a hold on the record itself, its session or its room counts.
Setting and releasing a hold are audited; only an admin releases one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from audit.services import record_action
from dashboard.errors import NotFound, Refused, UserError
from governance.models import LegalHold
from recordings.models import Composition, Recording

HOLD_ADD = "hold.add"
HOLD_RELEASE = "hold.release"

_ID_CHUNK = 500


def active_holds() -> QuerySet[LegalHold]:
    return LegalHold.objects.filter(released_at__isnull=True)


def _held_targets() -> dict[str, set[str]]:
    """Active holds by scope: {scope: {target id, …}} (a handful of rows, read once per question)."""
    held: dict[str, set[str]] = {scope: set() for scope in LegalHold.Scope.values}
    for scope, target_id in active_holds().values_list("scope", "target_id"):
        held[scope].add(target_id)
    return held


def holds_on(record: Recording | Composition) -> list[LegalHold]:
    """The active holds that cover this record (its own, its session's, its room's)."""
    own = LegalHold.Scope.RECORDING if isinstance(record, Recording) else LegalHold.Scope.COMPOSITION
    covering = Q(scope=own, target_id=record.telnyx_id)
    if record.session_id:
        covering |= Q(scope=LegalHold.Scope.SESSION, target_id=record.session_id)
    if record.room_id:
        covering |= Q(scope=LegalHold.Scope.ROOM, target_id=record.room_id)
    return list(active_holds().filter(covering))


def is_held(record: Recording | Composition) -> bool:
    return bool(holds_on(record))


def refuse_if_held(record: Recording | Composition) -> None:
    """Raise ``Refused`` when a legal hold covers the record (what every single delete calls first)."""
    holds = holds_on(record)
    if holds:
        hold = holds[0]
        raise Refused(
            f"Under legal hold ({hold.get_scope_display().lower()}, set by {hold.created_by_name}: "
            f"{hold.reason}); an admin must release the hold before it can be deleted."
        )


def _held_ids(model: type[Recording] | type[Composition], own: str, ids: Iterable[str]) -> set[str]:
    held = _held_targets()
    if not any(held.values()):
        return set()
    wanted = list(dict.fromkeys(ids))
    found: set[str] = set()
    for start in range(0, len(wanted), _ID_CHUNK):
        chunk = wanted[start : start + _ID_CHUNK]
        rows = model.objects.filter(telnyx_id__in=chunk).values_list("telnyx_id", "session_id", "room_id")
        for telnyx_id, session_id, room_id in rows:
            if (
                telnyx_id in held[own]
                or session_id in held[LegalHold.Scope.SESSION]
                or room_id in held[LegalHold.Scope.ROOM]
            ):
                found.add(telnyx_id)
    return found


def held_recording_ids(ids: Iterable[str]) -> set[str]:
    """Which of these recording ids (Telnyx ids) a hold covers: skip them when deleting many."""
    return _held_ids(Recording, LegalHold.Scope.RECORDING, ids)


def held_composition_ids(ids: Iterable[str]) -> set[str]:
    """Which of these composition ids (Telnyx ids) a hold covers."""
    return _held_ids(Composition, LegalHold.Scope.COMPOSITION, ids)


def held_filter(model: type[Recording] | type[Composition]) -> Q:
    """A filter matching the rows a hold covers (for the lists' "held" filter and badges)."""
    held = _held_targets()
    own = LegalHold.Scope.RECORDING if model is Recording else LegalHold.Scope.COMPOSITION
    return (
        Q(telnyx_id__in=held[own])
        | Q(session_id__in=held[LegalHold.Scope.SESSION] - {""})
        | Q(room_id__in=held[LegalHold.Scope.ROOM] - {""})
    )


def held_exists(model: type[Recording] | type[Composition]) -> Exists:
    """An ``EXISTS`` over the active holds covering the outer row (its own, its session's, its
    room's): annotate a page's rows with it, or filter by it, inside the page's own query (no query
    of its own, unlike ``held_filter``, which reads the holds first)."""
    own = LegalHold.Scope.RECORDING if model is Recording else LegalHold.Scope.COMPOSITION
    return Exists(
        active_holds().filter(
            Q(scope=own, target_id=OuterRef("telnyx_id"))
            | Q(scope=LegalHold.Scope.SESSION, target_id=OuterRef("session_id"))
            | Q(scope=LegalHold.Scope.ROOM, target_id=OuterRef("room_id"))
        )
    )


def held_session_ids(sessions: Iterable[tuple[str, str]]) -> set[str]:
    """Which of these (session id, room id) pairs a hold covers, by the session or its room (one
    query): for the sessions list, whose rows come from Telnyx."""
    pairs = [(sid, rid) for sid, rid in sessions if sid]
    if not pairs:
        return set()
    rows = active_holds().filter(
        Q(scope=LegalHold.Scope.SESSION, target_id__in={sid for sid, _ in pairs})
        | Q(scope=LegalHold.Scope.ROOM, target_id__in={rid for _, rid in pairs if rid})
    )
    held = set(rows.values_list("scope", "target_id"))
    return {
        sid
        for sid, rid in pairs
        if (LegalHold.Scope.SESSION, sid) in held or (LegalHold.Scope.ROOM, rid) in held
    }


def _username(user: Any) -> str:
    return user.get_username() if getattr(user, "is_authenticated", False) else "system"


def add_hold(*, user: Any, scope: str, target_id: str, reason: str) -> LegalHold:
    """Put a hold on a room, session, recording or composition; audited. A second active hold on the
    same target is allowed (two matters can hold the same thing)."""
    reason = reason.strip()
    target_id = target_id.strip()
    if scope not in LegalHold.Scope.values:
        raise UserError(f"Choose what to hold: {', '.join(LegalHold.Scope.values)}.")
    if not reason:
        raise Refused("Give the reason for the hold.", field_errors=[("reason", "Give a reason.")])
    if not target_id:
        raise Refused("Give the id to hold.", field_errors=[("target_id", "Give an id.")])
    hold = LegalHold.objects.create(
        scope=scope,
        target_id=target_id,
        reason=reason,
        created_by=user if getattr(user, "is_authenticated", False) else None,
        created_by_name=_username(user),
    )
    record_action(
        user=user,
        action=HOLD_ADD,
        succeeded=True,
        message=f"Legal hold {hold.pk} on {scope} {target_id}: {reason}",
        room_id=target_id if scope == LegalHold.Scope.ROOM else "",
        session_id=target_id if scope == LegalHold.Scope.SESSION else "",
        target={"hold_id": hold.pk, "scope": scope, "target_id": target_id, "reason": reason},
    )
    return hold


def release_hold(*, user: Any, hold_id: int, is_admin: bool) -> LegalHold:
    """Release a hold (admins only); audited, and the hold's row is kept with who released it."""
    hold = LegalHold.objects.filter(pk=hold_id).first()
    if hold is None:
        raise NotFound(f"No legal hold {hold_id}.")
    if not is_admin:
        record_action(
            user=user,
            action=HOLD_RELEASE,
            succeeded=False,
            message=f"Only an admin may release legal hold {hold.pk}.",
            target={"hold_id": hold.pk},
        )
        raise Refused("Only an admin may release a legal hold.")
    if hold.released_at is not None:
        raise Refused(f"Legal hold {hold.pk} was already released by {hold.released_by_name}.")
    hold.released_at = timezone.now()
    hold.released_by_name = _username(user)
    hold.save(update_fields=["released_at", "released_by_name"])
    record_action(
        user=user,
        action=HOLD_RELEASE,
        succeeded=True,
        message=f"Released legal hold {hold.pk} on {hold.scope} {hold.target_id}.",
        target={"hold_id": hold.pk, "scope": hold.scope, "target_id": hold.target_id},
    )
    return hold
