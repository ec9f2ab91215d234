"""Join tokens: generated and refreshed through Telnyx, audited, never stored."""

from __future__ import annotations

from typing import Any

from audit.models import AuditEntry
from audit.services import audited
from dashboard.errors import Refused, UserError, telnyx_call
from dashboard.telnyx import ClientToken, get_client
from rooms.services import room_names

#: Join token bounds (TELNYX-FACTS.md).
TOKEN_TTL_MIN, TOKEN_TTL_MAX, TOKEN_TTL_DEFAULT = 10, 3600, 600
REFRESH_TTL_MIN, REFRESH_TTL_MAX, REFRESH_TTL_DEFAULT = 60, 86400, 3600


def _room_name(room_id: str) -> str:
    """The room's name as Telnyx has it (cached): the audit log never takes a name from a form."""
    try:
        return room_names([room_id]).get(room_id, "")
    except UserError:
        return ""


def generate_join_token(
    *,
    user: Any,
    room_id: str,
    token_ttl_secs: int = TOKEN_TTL_DEFAULT,
    refresh_token_ttl_secs: int = REFRESH_TTL_DEFAULT,
) -> ClientToken:
    """A join token and its refresh token for a room; audited (the token itself is never stored)."""
    target = {"token_ttl_secs": token_ttl_secs, "refresh_token_ttl_secs": refresh_token_ttl_secs}
    with (
        audited(
            user=user,
            action=AuditEntry.Action.TOKEN_GENERATE,
            room_id=room_id,
            room_name=_room_name(room_id),
            target=target,
        ) as outcome,
        telnyx_call("generate a join token"),
    ):
        token = get_client().generate_join_token(
            room_id, token_ttl_secs=token_ttl_secs, refresh_token_ttl_secs=refresh_token_ttl_secs
        )
        outcome.message = f"Telnyx issued a join token valid for {token_ttl_secs} s."
    return token


def refresh_join_token(
    *,
    user: Any,
    room_id: str,
    refresh_token: str,
    token_ttl_secs: int = TOKEN_TTL_DEFAULT,
) -> ClientToken:
    """A fresh join token from a refresh token; audited."""
    with audited(
        user=user,
        action=AuditEntry.Action.TOKEN_REFRESH,
        room_id=room_id,
        room_name=_room_name(room_id),
        target={"token_ttl_secs": token_ttl_secs},
    ) as outcome:
        if not refresh_token:
            raise Refused("There is no refresh token to use; generate a new join token.")
        with telnyx_call("refresh the join token"):
            token = get_client().refresh_join_token(
                room_id, refresh_token=refresh_token, token_ttl_secs=token_ttl_secs
            )
        outcome.message = f"Telnyx refreshed the join token for {token_ttl_secs} s."
    return token
