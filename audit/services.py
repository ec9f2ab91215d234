"""The audit log: writing one entry for every change made through the dashboard, and reading it back.

Other apps record through ``audited`` (a block around one change sent to Telnyx) or ``record_action``
(an answer recorded by hand, such as moderation, which never raises).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models
from django.db.models import QuerySet
from django.utils import timezone

from audit.models import AuditEntry


def record_action(
    *,
    user: AbstractBaseUser | AnonymousUser | None,
    action: AuditEntry.Action | str,
    succeeded: bool,
    message: str = "",
    room_id: str = "",
    room_name: str = "",
    session_id: str = "",
    target: dict[str, Any] | None = None,
    anonymous_name: str = "system",
) -> AuditEntry:
    """Store who did what, to what, and whether Telnyx accepted it.

    Call it after the API answered (or refused), outside any transaction that a failure would roll
    back: a refused action is as much part of the log as an accepted one. Text too long for its
    column is cut, never refused. Without an account, the entry names ``anonymous_name`` (the
    system's own jobs, or a share link opened by someone without an account).
    """
    account = user if isinstance(user, get_user_model()) and user.is_authenticated else None
    return AuditEntry.objects.create(
        user=account,
        username=_fit("username", account.get_username() if account is not None else anonymous_name),
        action=str(action),
        succeeded=succeeded,
        message=_clean(message),
        room_id=_fit("room_id", room_id),
        room_name=_fit("room_name", room_name),
        session_id=_fit("session_id", session_id),
        target=_clean(target or {}),
    )


def _clean(value: Any) -> Any:
    """The value without NUL characters, which PostgreSQL's text and jsonb refuse."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def _fit(field: str, value: str) -> str:
    """The value cut to the column's length: an action Telnyx accepted is recorded, whatever it named."""
    column = AuditEntry._meta.get_field(field)
    limit = column.max_length if isinstance(column, models.CharField) else None
    return str(_clean(value or ""))[:limit]


#: A play is one access however many range requests the player makes (seeking, buffering,
#: re-opening the file): a second play of the same file by the same person within this many
#: seconds is not logged again.
ACCESS_WINDOW_SECS = 15 * 60


def record_access(
    *,
    user: AbstractBaseUser | AnonymousUser | None,
    action: AuditEntry.Action,
    target_key: str,
    target_id: str,
    within_secs: int = ACCESS_WINDOW_SECS,
    **where: Any,
) -> AuditEntry | None:
    """Log one access (download or play) of the file ``target_id``, unless the same person's same
    access to it was logged less than ``within_secs`` ago. Returns the entry written, if any."""
    account = user if isinstance(user, get_user_model()) and user.is_authenticated else None
    if within_secs > 0 and account is not None:
        since = timezone.now() - timedelta(seconds=within_secs)
        recent = AuditEntry.objects.filter(
            user=account, action=str(action), succeeded=True, created_at__gte=since
        ).filter(**{f"target__{target_key}": target_id})
        if recent.exists():
            return None
    return record_action(user=user, action=action, target={target_key: target_id}, **where)


@dataclass
class Outcome:
    """What an accepted action reports: the sentence, and any place learned from Telnyx's answer."""

    message: str = ""
    where: dict[str, Any] = field(default_factory=dict)


@contextmanager
def audited(
    *,
    user: AbstractBaseUser | AnonymousUser | None,
    action: AuditEntry.Action | str,
    room_id: str = "",
    room_name: str = "",
    session_id: str = "",
    target: dict[str, Any] | None = None,
) -> Iterator[Outcome]:
    """Audit the block around one change sent to Telnyx.

    A refusal (an exception carrying a user-readable ``message``, as the client's and the services'
    errors do) is recorded as failed and re-raised; a block that finishes is recorded as accepted
    with the ``Outcome`` it filled in. Other exceptions are bugs, not answers, and pass unrecorded.
    """
    outcome = Outcome()
    where: dict[str, Any] = {"room_id": room_id, "room_name": room_name, "session_id": session_id}
    try:
        yield outcome
    except Exception as exc:
        message = getattr(exc, "message", None)
        if isinstance(message, str):
            record_action(user=user, action=action, succeeded=False, message=message, target=target, **where)
        raise
    record_action(
        user=user,
        action=action,
        succeeded=True,
        message=outcome.message,
        target=target,
        **{**where, **outcome.where},
    )


# --- reading ----------------------------------------------------------------------------------------


@dataclass(slots=True)
class AuditFilters:
    user: str = ""
    action: str = ""
    room: str = ""
    category: str = ""  # "change", "access" or "" (both)


@dataclass(slots=True)
class AuditScope:
    """The entries a user may read (everyone's with ``view_all_audit``, else their own) and the
    choices the page's filters offer."""

    entries: QuerySet[AuditEntry]
    sees_all: bool
    usernames: list[str]
    rooms: list[tuple[str, str]]


def entries_for(*, user: Any, filters: AuditFilters) -> AuditScope:
    """The audit entries ``user`` may read, newest first, narrowed by ``filters``."""
    sees_all = bool(user.has_perm("dashboard.view_all_audit"))
    scope = AuditEntry.objects.all() if sees_all else AuditEntry.objects.filter(user=user)
    entries = scope
    if filters.user and sees_all:
        entries = entries.filter(username=filters.user)
    if filters.action:
        entries = entries.filter(action=filters.action)
    if filters.room:
        entries = entries.filter(room_id=filters.room) | entries.filter(room_name=filters.room)
    access = [str(a) for a in AuditEntry.ACCESS_ACTIONS]
    if filters.category == AuditEntry.Category.ACCESS:
        entries = entries.filter(action__in=access)
    elif filters.category == AuditEntry.Category.CHANGE:
        entries = entries.exclude(action__in=access)
    usernames = list(scope.order_by().values_list("username", flat=True).distinct()) if sees_all else []
    names = room_names(scope)
    rooms = sorted(names.items(), key=lambda pair: (pair[1] or "~").casefold())
    return AuditScope(entries=entries, sees_all=sees_all, usernames=usernames, rooms=rooms)


def room_names(entries: QuerySet[AuditEntry]) -> dict[str, str]:
    """room id -> the name any entry recorded for it ("" when none did): entries written before a
    room's name was known (a download, a composition) read with the name a later entry learned."""
    names: dict[str, str] = {}
    pairs = entries.exclude(room_id="").order_by().values_list("room_id", "room_name").distinct()
    for room_id, room_name in pairs:
        if room_name or room_id not in names:
            names[room_id] = room_name
    return names


CSV_HEADER = (
    "when",
    "user",
    "action",
    "room_id",
    "room_name",
    "session_id",
    "target",
    "succeeded",
    "message",
)


def csv_rows(entries: QuerySet[AuditEntry]) -> Iterator[tuple[str, ...]]:
    """One row per entry for the CSV export (read in chunks, never all at once)."""
    for e in entries.iterator():
        yield (
            e.created_at.isoformat(),
            e.username,
            e.action,
            e.room_id,
            e.room_name,
            e.session_id,
            target_text(e.target),
            "yes" if e.succeeded else "no",
            e.message,
        )


def target_text(target: Any) -> str:
    """What an action was aimed at, in one line (``sent_at`` left out)."""
    if not isinstance(target, dict):
        return str(target or "")
    parts = []
    for key, value in target.items():
        if key == "sent_at":
            continue
        if isinstance(value, list):
            value = " ".join(str(v) for v in value)
        elif isinstance(value, dict):
            value = " ".join(f"{k}={v}" for k, v in value.items())
        parts.append(f"{key}: {value}")
    return "; ".join(parts)
