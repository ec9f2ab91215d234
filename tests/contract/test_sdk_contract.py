"""The official telnyx SDK (4.189.0) drives all 25 operations against the sandbox; every response it
receives is validated against the spec's schemas by an httpx response hook."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import telnyx

from tests.contract.openapi import _spec
from tests.contract.sdk import ValidatedOperations, sdk_client

ALL_OPERATIONS = {op["operation_id"] for op in _spec()["operations"]}


def test_the_spec_copy_has_25_operations():
    assert len(ALL_OPERATIONS) == 25


def test_sdk_drives_every_operation_and_gets_back_what_it_sent(sandbox):
    hook = ValidatedOperations()
    client = sdk_client(sandbox, hook)

    # Rooms: create, view, update, list, tokens.
    room = client.rooms.create(
        unique_name="contract-room",
        max_participants=4,
        enable_recording=True,
        webhook_event_url="https://example.com/hooks",
        webhook_event_failover_url="https://failover.example.com/hooks",
        webhook_timeout_secs=7,
    ).data
    assert (room.unique_name, room.max_participants, room.enable_recording) == ("contract-room", 4, True)
    assert room.webhook_event_url == "https://example.com/hooks"
    assert room.webhook_event_failover_url == "https://failover.example.com/hooks"
    assert room.webhook_timeout_secs == 7
    assert room.record_type == "room"
    assert room.created_at.tzinfo is not None

    updated = client.rooms.update(room.id, max_participants=5, unique_name="renamed").data
    assert (updated.id, updated.max_participants, updated.unique_name) == (room.id, 5, "renamed")
    listed = client.rooms.list(filter={"unique_name": "renamed"})
    assert [r.id for r in listed.data] == [room.id]
    assert listed.meta.total_results == 1

    tokens = client.rooms.actions.generate_join_client_token(
        room.id, token_ttl_secs=120, refresh_token_ttl_secs=600
    ).data
    assert tokens.token and tokens.refresh_token
    assert 110 <= (tokens.token_expires_at - datetime.now(UTC)).total_seconds() <= 121
    refreshed = client.rooms.actions.refresh_client_token(
        room.id, refresh_token=tokens.refresh_token, token_ttl_secs=60
    ).data
    assert refreshed.token and refreshed.token != tokens.token

    # A live session with three participants.
    alice = sandbox.join(room.id, "alice")
    bob = sandbox.join(room.id, "bob")
    carol = sandbox.join(room.id, "carol")
    viewed = client.rooms.retrieve(room.id, include_sessions=True).data
    session_id = viewed.active_session_id
    assert session_id == alice["session_id"]
    assert [s.id for s in viewed.sessions] == [session_id]

    session = client.rooms.sessions.retrieve(session_id, include_participants=True).data
    assert session.active is True and session.room_id == room.id
    assert {p.context for p in session.participants} == {"alice", "bob", "carol"}
    assert [s.id for s in client.rooms.sessions.list_0(filter={"room_id": room.id, "active": True}).data] == [
        session_id
    ]
    assert [s.id for s in client.rooms.sessions.list_1(room.id, include_participants=True).data] == [
        session_id
    ]
    in_session = client.rooms.sessions.retrieve_participants(session_id, filter={"context": "bob"}).data
    assert [p.id for p in in_session] == [bob["id"]]
    participants = client.room_participants.list(filter={"session_id": session_id}).data
    assert {p.id for p in participants} == {alice["id"], bob["id"], carol["id"]}
    assert client.room_participants.retrieve(alice["id"]).data.context == "alice"

    # Moderation.
    assert client.rooms.sessions.actions.mute(
        session_id, participants="all", exclude=[carol["id"]]
    ).data.result
    assert sandbox.participant(alice["id"])["audio_muted"] is True
    assert sandbox.participant(carol["id"])["audio_muted"] is False
    client.rooms.sessions.actions.unmute(session_id, participants=[alice["id"]])
    assert sandbox.participant(alice["id"])["audio_muted"] is False
    client.rooms.sessions.actions.kick(session_id, participants=[bob["id"]])
    assert sandbox.participant(bob["id"])["kicked"] is True
    assert client.rooms.sessions.actions.end(session_id).data.result == "ok"
    ended = client.rooms.sessions.retrieve(session_id).data
    assert ended.active is False and ended.ended_at is not None
    assert client.rooms.retrieve(room.id).data.active_session_id is None

    # Recordings: two per participant, processing then completed.
    recordings = client.room_recordings.list(filter={"session_id": session_id}, page_size=250).data
    assert len(recordings) == 6
    assert {r.status for r in recordings} == {"processing"}
    assert {(r.participant_id, r.type) for r in recordings} == {
        (p["id"], kind) for p in (alice, bob, carol) for kind in ("audio", "video")
    }
    sandbox.wait_for(
        lambda: all(
            r.status == "completed"
            for r in client.room_recordings.list(filter={"session_id": session_id}).data
        )
    )
    first = client.room_recordings.retrieve(recordings[0].id).data
    assert first.session_id == session_id and first.room_id == room.id

    # Compositions.
    composition = client.room_compositions.create(
        session_id=session_id,
        resolution="800x600",
        format="mp4",
        video_layout={"main": {"x_pos": 0, "y_pos": 0, "width": 800, "height": 600, "video_sources": ["*"]}},
        webhook_event_url="https://example.com/compositions",
        webhook_timeout_secs=5,
    ).data
    assert (composition.status, composition.resolution, composition.session_id) == (
        "enqueued",
        "800x600",
        session_id,
    )
    assert composition.video_layout["main"].width == 800
    assert composition.webhook_event_url == "https://example.com/compositions"
    sandbox.complete_composition(composition.id)
    done = client.room_compositions.retrieve(composition.id).data
    assert done.status == "completed" and done.download_url and done.size_mb and done.duration_secs
    assert [c.id for c in client.room_compositions.list(filter={"status": "completed"}).data] == [
        composition.id
    ]
    assert client.room_compositions.delete(composition.id) is None

    # Deletes.
    assert client.room_recordings.delete(recordings[0].id) is None
    bulk = client.room_recordings.delete_bulk(filter={"session_id": session_id, "type": "audio"}).data
    assert bulk.room_recordings == 3 - (1 if recordings[0].type == "audio" else 0)
    assert client.rooms.delete(room.id) is None
    with pytest.raises(telnyx.NotFoundError):
        client.rooms.retrieve(room.id)

    assert hook.operation_ids == ALL_OPERATIONS, ALL_OPERATIONS - hook.operation_ids


def test_sdk_paginates_to_the_end(sandbox):
    sandbox.seed(rooms=3, sessions_per_room=5, participants_per_session=3)
    client = sdk_client(sandbox)
    ids = [r.id for r in client.room_recordings.list(page_size=7)]
    assert len(ids) == 90 == len(set(ids))


def test_sdk_parses_errors(sandbox):
    client = sdk_client(sandbox)
    with pytest.raises(telnyx.UnprocessableEntityError) as excinfo:
        client.rooms.create(max_participants=51, webhook_event_url="example.com")
    pointers = {e["source"]["pointer"] for e in excinfo.value.body["errors"]}
    assert pointers == {"/max_participants", "/webhook_event_url"}
    with pytest.raises(telnyx.AuthenticationError) as auth:
        client.with_options(api_key="wrong").rooms.list()
    assert auth.value.body["errors"][0]["code"] == "10009"
    with pytest.raises(telnyx.NotFoundError) as missing:
        client.room_recordings.retrieve("0ccc7b54-4df3-4bca-a65a-3da1ecc777f0")
    assert missing.value.body["errors"][0]["code"] == "10005"
