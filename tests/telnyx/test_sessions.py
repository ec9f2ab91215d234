"""Sessions, participants and moderation through the client, against the sandbox."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from dashboard.telnyx import NotFoundError, RoomParticipant, RoomSession, TelnyxClient, ValidationError


@pytest.fixture
def live(client: TelnyxClient, sandbox: Any) -> dict[str, Any]:
    """A room with a live session of three participants: Alice, Bob and Carol."""
    room = client.create_room(unique_name=f"live-{uuid.uuid4().hex[:8]}", max_participants=10)
    people = {name: sandbox.join(room.id, name) for name in ("Alice", "Bob", "Carol")}
    session_id = client.get_room(room.id).active_session_id
    assert session_id
    return {"room": room, "session_id": session_id, "ids": {n: p["id"] for n, p in people.items()}}


def test_room_sessions_and_all_sessions(client: TelnyxClient, live: dict[str, Any]) -> None:
    room, session_id = live["room"], live["session_id"]
    page = client.list_room_sessions(room.id)
    assert [s.id for s in page.items] == [session_id]
    session = page.items[0]
    assert isinstance(session, RoomSession)
    assert session.active is True and session.room_id == room.id and session.ended_at is None
    assert session.participants is None
    assert page.meta.total_results == 1

    with_people = client.list_room_sessions(room_id=room.id, include_participants=True).items[0]
    assert {p.context for p in with_people.participants or []} == {"Alice", "Bob", "Carol"}

    assert [s.id for s in client.list_sessions(room_id=room.id).items] == [session_id]
    assert session_id in {s.id for s in client.iter_sessions(active=True)}
    assert session_id not in {s.id for s in client.iter_sessions(active=False)}
    assert not client.list_room_sessions(room.id, active=False).items
    today = datetime.now(UTC).date()
    assert [s.id for s in client.list_room_sessions(room.id, date_created_at=today).items] == [session_id]
    assert [s.id for s in client.list_room_sessions(room.id, date_updated_at__gte=today).items] == [
        session_id
    ]
    assert not client.list_room_sessions(room.id, date_created_at__lte=today - timedelta(days=1)).items
    assert not client.list_sessions(room_id=room.id, date_ended_at=today).items
    assert [s.id for s in client.iter_room_sessions(room.id)] == [session_id]

    with pytest.raises(TypeError):
        client.list_room_sessions(room.id, room_id=room.id)  # not a filter of this operation


def test_get_session_with_participants(client: TelnyxClient, live: dict[str, Any]) -> None:
    session = client.get_session(live["session_id"], include_participants=True)
    assert session.id == live["session_id"] and session.active
    people = {p.context: p for p in session.participants or []}
    assert set(people) == {"Alice", "Bob", "Carol"}
    alice = people["Alice"]
    assert isinstance(alice, RoomParticipant)
    assert alice.id == live["ids"]["Alice"] and alice.session_id == session.id
    assert alice.joined_at is not None and alice.joined_at.tzinfo is not None and alice.left_at is None
    assert client.get_session(live["session_id"]).participants is None

    with pytest.raises(NotFoundError):
        client.get_session(str(uuid.uuid4()))


def test_participants_lists_filters_and_get(client: TelnyxClient, live: dict[str, Any], sandbox: Any) -> None:
    session_id, ids = live["session_id"], live["ids"]
    everyone = client.list_participants(session_id=session_id, page_size=2)
    assert len(everyone.items) == 2 and everyone.meta.total_results == 3 and everyone.meta.total_pages == 2
    assert {p.id for p in client.iter_participants(session_id=session_id, page_size=2)} == set(ids.values())
    assert [p.id for p in client.list_participants(session_id=session_id, context="Bob").items] == [
        ids["Bob"]
    ]

    in_session = client.list_session_participants(session_id)
    assert {p.id for p in in_session.items} == set(ids.values())
    assert [p.id for p in client.list_session_participants(session_id, context="Carol").items] == [
        ids["Carol"]
    ]
    assert {p.id for p in client.iter_session_participants(session_id, page_size=1)} == set(ids.values())

    today = datetime.now(UTC).date()
    yesterday = today - timedelta(days=1)
    assert len(client.list_session_participants(session_id, date_joined_at=today).items) == 3
    assert len(client.list_session_participants(session_id, date_joined_at__gte=today).items) == 3
    assert not client.list_session_participants(session_id, date_joined_at__lte=yesterday).items
    assert len(client.list_participants(session_id=session_id, date_updated_at=today).items) == 3

    sandbox.leave(ids["Carol"])
    left = client.list_participants(session_id=session_id, date_left_at=today).items
    assert [p.id for p in left] == [ids["Carol"]]
    assert not client.list_session_participants(session_id, date_left_at__lte=yesterday).items

    carol = client.get_participant(ids["Carol"])
    assert carol.context == "Carol" and carol.left_at is not None
    with pytest.raises(NotFoundError):
        client.get_participant(str(uuid.uuid4()))


def test_mute_unmute_kick_a_list_all_and_all_except(
    client: TelnyxClient, live: dict[str, Any], sandbox: Any
) -> None:
    session_id, ids = live["session_id"], live["ids"]

    def muted() -> set[str]:
        return {name for name, pid in ids.items() if sandbox.participant(pid)["audio_muted"]}

    assert client.mute_participants(session_id, [ids["Alice"]]) == "ok"
    assert muted() == {"Alice"}
    assert client.mute_participants(session_id, "all", exclude=[ids["Bob"]]) == "ok"
    assert muted() == {"Alice", "Carol"}
    assert client.unmute_participants(session_id, participants=[ids["Alice"], ids["Carol"]]) == "ok"
    assert muted() == set()
    client.mute_participants(session_id)  # "all" by default
    assert muted() == {"Alice", "Bob", "Carol"}
    client.unmute_participants(session_id, "all", exclude=[ids["Carol"]])
    assert muted() == {"Carol"}

    assert client.kick_participants(session_id, [ids["Bob"]]) == "ok"
    assert sandbox.participant(ids["Bob"])["kicked"]
    assert not sandbox.participant(ids["Alice"])["kicked"]
    client.kick_participants(session_id, "all", exclude=[ids["Alice"]])
    assert sandbox.participant(ids["Carol"])["kicked"]
    assert not sandbox.participant(ids["Alice"])["kicked"]

    with pytest.raises(ValueError):
        client.mute_participants(session_id, ids["Alice"])  # a bare id, not a list
    with pytest.raises(ValidationError) as caught:
        client.mute_participants(session_id, ["not-a-uuid"])
    assert caught.value.field_errors and caught.value.field_errors[0][0].startswith("participants")


def test_end_session(client: TelnyxClient, live: dict[str, Any], sandbox: Any) -> None:
    session_id = live["session_id"]
    assert client.end_session(session_id) == "ok"
    session = client.get_session(session_id)
    assert session.active is False and session.ended_at is not None
    assert client.get_room(live["room"].id).active_session_id is None
    assert all(
        sandbox.participant(pid)["kicked"] or sandbox.participant(pid).get("left_at")
        for pid in live["ids"].values()
    )
    assert [s.id for s in client.list_room_sessions(live["room"].id, active=False).items] == [session_id]
    today = datetime.now(UTC).date()
    assert session_id in {s.id for s in client.iter_sessions(date_ended_at=today)}

    with pytest.raises(NotFoundError):
        client.end_session(str(uuid.uuid4()))
