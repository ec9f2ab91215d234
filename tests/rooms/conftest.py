"""Fixtures for the rooms pages: a clean cache, short polling, rooms and live sessions in the sandbox."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache

from dashboard.telnyx import Room, get_client


@pytest.fixture(autouse=True)
def clean_cache(settings) -> None:  # type: ignore[no-untyped-def]
    """Each test starts with no remembered Telnyx data, and the live table polls quickly."""
    settings.LIVE_SESSION_POLL_SECS = 0.5
    cache.clear()


@pytest.fixture
def make_room(telnyx_sandbox) -> Callable[..., Room]:  # type: ignore[no-untyped-def]
    def make(**fields: Any) -> Room:
        fields.setdefault("unique_name", "test-room")
        return get_client().create_room(**fields)

    return make


@pytest.fixture
def live_session(telnyx_sandbox, make_room):  # type: ignore[no-untyped-def]
    """A room with three participants present: (room, session_id, {context: participant id})."""
    room = make_room(unique_name="standup", max_participants=10)
    people = {name: telnyx_sandbox.join(room.id, name)["id"] for name in ("alice", "bob", "carol")}
    session_id = get_client().get_room(room.id).active_session_id
    assert session_id
    return room, session_id, people
