"""Telnyx ids in URLs and forms: checked at the edge, before any query or API call sees them; links
to a room or session only for ids that are real."""

from __future__ import annotations

import re

from django.urls import reverse

#: Telnyx names rooms, sessions, participants, recordings and compositions by UUID.
TELNYX_ID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_TELNYX_ID = re.compile(TELNYX_ID)


def is_telnyx_id(value: object) -> bool:
    return isinstance(value, str) and _TELNYX_ID.fullmatch(value) is not None


class TelnyxIdConverter:
    """``<telnyx_id:name>``: a path that holds anything else is a 404 before a view runs."""

    regex = TELNYX_ID

    def to_python(self, value: str) -> str:
        return value.lower()

    def to_url(self, value: str) -> str:
        return value


def room_url(room_id: str) -> str:
    """The room's page, when ``room_id`` is a real Telnyx id (records keep what they were sent)."""
    return reverse("rooms:detail", args=[room_id]) if is_telnyx_id(room_id) else ""


def session_url(session_id: str) -> str:
    """The session's page, when ``session_id`` is a real Telnyx id."""
    return reverse("sessions:detail", args=[session_id]) if is_telnyx_id(session_id) else ""
