"""Writing the audit log: one entry for every change made through the dashboard."""

from __future__ import annotations

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
