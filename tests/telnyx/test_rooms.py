"""Rooms and join tokens through the client, against the sandbox."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from dashboard.telnyx import (
    UNSET,
    AuthenticationError,
    ClientToken,
    NotFoundError,
    Page,
    Room,
    TelnyxClient,
    ValidationError,
)


def _name(prefix: str = "room") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_create_get_update_delete_room(client: TelnyxClient) -> None:
    name = _name()
    room = client.create_room(
        unique_name=name,
        max_participants=12,
        enable_recording=True,
        webhook_event_url="https://example.com/hooks",
        webhook_event_failover_url="https://failover.example.com/hooks",
        webhook_timeout_secs=20,
    )
    assert isinstance(room, Room)
    assert room.id and room.unique_name == name
    assert (room.max_participants, room.enable_recording, room.webhook_timeout_secs) == (12, True, 20)
    assert room.webhook_event_url == "https://example.com/hooks"
    assert room.webhook_event_failover_url == "https://failover.example.com/hooks"
    assert room.created_at is not None and room.created_at.tzinfo is not None
    assert abs(room.created_at - datetime.now(UTC)) < timedelta(minutes=5)
    assert room.active_session_id is None

    fetched = client.get_room(room.id)
    assert fetched.id == room.id and fetched.unique_name == name and fetched.sessions is None

    updated = client.update_room(room.id, max_participants=30, enable_recording=False)
    assert (updated.max_participants, updated.enable_recording) == (30, False)
    assert updated.unique_name == name  # untouched fields stay
    assert client.get_room(room.id).max_participants == 30

    client.delete_room(room.id)
    with pytest.raises(NotFoundError) as caught:
        client.get_room(room.id)
    assert caught.value.status == 404
    assert "no room" in caught.value.message


def test_create_room_defaults(client: TelnyxClient) -> None:
    room = client.create_room()
    assert room.max_participants == 10  # Telnyx's default
    assert UNSET is not None and not UNSET


def test_missing_room_is_not_found(client: TelnyxClient) -> None:
    missing = str(uuid.uuid4())
    for call in (
        lambda: client.get_room(missing),
        lambda: client.update_room(missing, max_participants=5),
        lambda: client.delete_room(missing),
    ):
        with pytest.raises(NotFoundError) as caught:
            call()
        assert caught.value.status == 404
        assert caught.value.message.endswith(".")


def test_empty_id_is_refused_before_any_request(client: TelnyxClient) -> None:
    with pytest.raises(ValueError, match="room_id"):
        client.delete_room("")


def test_validation_errors_map_to_fields(client: TelnyxClient) -> None:
    with pytest.raises(ValidationError) as caught:
        client.create_room(
            max_participants=1,
            webhook_event_url="example.com/no-scheme",
            webhook_timeout_secs=31,
        )
    error = caught.value
    assert error.status == 422
    fields = {field for field, _ in error.field_errors}
    assert {"max_participants", "webhook_event_url", "webhook_timeout_secs"} <= fields
    assert all(message for _, message in error.field_errors)
    assert error.errors_for("max_participants")
    assert "max_participants" in error.message

    room = client.create_room(unique_name=_name())
    with pytest.raises(ValidationError) as caught:
        client.update_room(room.id, max_participants=51)
    assert [f for f, _ in caught.value.field_errors] == ["max_participants"]


def test_wrong_key_is_an_authentication_error(make_client) -> None:  # type: ignore[no-untyped-def]
    wrong = make_client(api_key="KEYwrong-key-0123456789")
    with pytest.raises(AuthenticationError) as caught:
        wrong.list_rooms()
    assert caught.value.status == 401
    assert "KEYwrong-key" not in str(caught.value) and "KEYwrong-key" not in repr(caught.value)


def test_no_key_at_all_fails_without_a_request(make_client, sandbox) -> None:  # type: ignore[no-untyped-def]
    sandbox.clear_request_counts()
    with pytest.raises(AuthenticationError, match="No Telnyx API key"):
        make_client(api_key="").list_rooms()
    assert not _total(sandbox.request_counts())


def _total(counts: dict) -> int:  # type: ignore[type-arg]
    return sum(sum(by_status.values()) for by_status in counts.values())


def test_list_rooms_single_page_meta_and_iteration_across_pages(client: TelnyxClient, sandbox) -> None:  # type: ignore[no-untyped-def]
    sandbox.seed(rooms=53, sessions_per_room=0, participants_per_session=0)
    page = client.list_rooms(page=2, page_size=10)
    assert isinstance(page, Page)
    assert len(page.items) == 10
    assert (page.meta.page_number, page.meta.page_size) == (2, 10)
    assert (page.meta.total_results, page.meta.total_pages) == (53, 6)
    last = client.list_rooms(page=6, page_size=10)
    assert len(last.items) == 3 and not last.meta.has_next

    sandbox.clear_request_counts()
    rooms = list(client.iter_rooms(page_size=7))
    assert len(rooms) == 53 == len({r.id for r in rooms})
    # ceil(53 / 7) = 8 pages, and not one request more.
    assert _total(sandbox.request_counts()) == 8


def test_list_rooms_page_bounds_are_checked(client: TelnyxClient) -> None:
    with pytest.raises(ValueError):
        client.list_rooms(page_size=251)
    with pytest.raises(ValueError):
        client.list_rooms(page=0)


def test_room_filters(client: TelnyxClient) -> None:
    names = [_name("filter") for _ in range(3)]
    rooms = [client.create_room(unique_name=n) for n in names]
    today = datetime.now(UTC).date()

    by_name = client.list_rooms(unique_name=names[1])
    assert [r.id for r in by_name.items] == [rooms[1].id]

    ids = {r.id for r in rooms}
    assert ids <= {r.id for r in client.iter_rooms(date_created_at=today)}
    assert ids <= {r.id for r in client.iter_rooms(date_created_at__gte=today)}
    assert ids <= {r.id for r in client.iter_rooms(date_updated_at__lte=today + timedelta(days=1))}
    assert not ids & {r.id for r in client.iter_rooms(date_created_at__lte=today - timedelta(days=1))}
    assert not ids & {r.id for r in client.iter_rooms(date_created_at__gte=today + timedelta(days=1))}
    assert not ids & {r.id for r in client.iter_rooms(date_updated_at=date(2020, 1, 1))}

    with pytest.raises(TypeError, match="unknown filter"):
        client.list_rooms(room_id="x")


def test_include_sessions(client: TelnyxClient, sandbox) -> None:  # type: ignore[no-untyped-def]
    room = client.create_room(unique_name=_name())
    sandbox.join(room.id, "Alice")
    fetched = client.get_room(room.id, include_sessions=True)
    assert fetched.active_session_id
    assert fetched.sessions is not None
    assert fetched.active_session_id in {s.id for s in fetched.sessions}

    listed = client.list_rooms(unique_name=room.unique_name, include_sessions=True)
    assert listed.items[0].sessions and listed.items[0].sessions[0].room_id == room.id


def test_join_tokens_generate_and_refresh(client: TelnyxClient) -> None:
    room = client.create_room(unique_name=_name())
    before = datetime.now(UTC)
    token = client.generate_join_token(room.id, token_ttl_secs=60, refresh_token_ttl_secs=600)
    assert isinstance(token, ClientToken)
    assert token.token.count(".") == 2 and token.refresh_token
    assert token.token_expires_at is not None and token.refresh_token_expires_at is not None
    assert timedelta(seconds=50) < token.token_expires_at - before < timedelta(seconds=70)
    assert timedelta(seconds=590) < token.refresh_token_expires_at - before < timedelta(seconds=610)
    assert token.token not in repr(token)

    refreshed = client.refresh_join_token(room.id, refresh_token=token.refresh_token, token_ttl_secs=30)
    assert refreshed.token and refreshed.token != token.token
    assert refreshed.refresh_token is None and refreshed.refresh_token_expires_at is None
    assert refreshed.token_expires_at is not None
    assert refreshed.token_expires_at - datetime.now(UTC) < timedelta(seconds=40)


def test_join_token_bounds_are_validation_errors(client: TelnyxClient) -> None:
    room = client.create_room(unique_name=_name())
    with pytest.raises(ValidationError) as caught:
        client.generate_join_token(room.id, token_ttl_secs=5)
    assert [f for f, _ in caught.value.field_errors] == ["token_ttl_secs"]
