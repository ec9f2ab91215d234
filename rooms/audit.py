"""Writing the audit log: one entry for every change made through the dashboard."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from rooms.models import AuditEntry


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
) -> AuditEntry:
    """Store who did what, to what, and whether Telnyx accepted it.

    Call it after the API answered (or refused), outside any transaction that a failure would roll
    back: a refused action is as much part of the log as an accepted one.
    """
    authenticated = user is not None and user.is_authenticated
    return AuditEntry.objects.create(
        user=user if authenticated else None,
        username=user.get_username() if authenticated else "system",
        action=str(action),
        succeeded=succeeded,
        message=message,
        room_id=room_id or "",
        room_name=room_name or "",
        session_id=session_id or "",
        target=target or {},
    )


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
