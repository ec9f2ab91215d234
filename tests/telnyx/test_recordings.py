"""Recordings and compositions through the client, against the sandbox."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from dashboard.telnyx import NotFoundError, RoomComposition, RoomRecording, TelnyxClient, ValidationError


@pytest.fixture
def seeded(sandbox: Any) -> Any:
    """Two recording rooms, two ended sessions each, two participants each: audio and video tracks."""
    return sandbox.seed(rooms=2, sessions_per_room=2, participants_per_session=2, recording_bytes=4096)


def test_list_get_and_page_recordings(client: TelnyxClient, seeded: Any) -> None:
    everything = list(client.iter_recordings(page_size=3))
    assert everything and len(everything) == len({r.id for r in everything})
    first = client.list_recordings(page=1, page_size=3)
    assert first.meta.total_results == len(everything)
    assert first.meta.total_pages == -(-len(everything) // 3)
    assert len(first.items) == 3

    recording = everything[0]
    assert isinstance(recording, RoomRecording)
    assert recording.room_id and recording.session_id and recording.participant_id
    assert recording.type in {"audio", "video"} and recording.status in {"completed", "processing"}
    assert recording.started_at is not None and recording.started_at.tzinfo is not None
    fetched = client.get_recording(recording.id)
    assert fetched.id == recording.id and fetched.download_url
    with pytest.raises(NotFoundError):
        client.get_recording(str(uuid.uuid4()))


def test_recording_filters(client: TelnyxClient, seeded: Any) -> None:
    everything = list(client.iter_recordings())
    sample = everything[0]

    def ids(**filters: Any) -> set[str]:
        return {r.id for r in client.iter_recordings(**filters)}

    def expected(predicate: Any) -> set[str]:
        return {r.id for r in everything if predicate(r)}

    assert ids(room_id=sample.room_id) == expected(lambda r: r.room_id == sample.room_id)
    assert ids(session_id=sample.session_id) == expected(lambda r: r.session_id == sample.session_id)
    assert ids(participant_id=sample.participant_id) == expected(
        lambda r: r.participant_id == sample.participant_id
    )
    assert ids(type="audio") == expected(lambda r: r.type == "audio")
    assert ids(type="video") == expected(lambda r: r.type == "video")
    assert ids(status="completed") == expected(lambda r: r.status == "completed")
    longest = max(r.duration_secs or 0 for r in everything)
    assert ids(duration_secs=longest) == expected(lambda r: (r.duration_secs or 0) >= longest)

    day = sample.started_at.astimezone(UTC).date()
    assert ids(date_started_at=day) == expected(lambda r: r.started_at.astimezone(UTC).date() == day)
    assert ids(date_started_at__gte=day) == expected(lambda r: r.started_at.astimezone(UTC).date() >= day)
    assert ids(date_started_at__lte=day - timedelta(days=1)) == expected(
        lambda r: r.started_at.astimezone(UTC).date() < day
    )
    end_day = sample.ended_at.astimezone(UTC).date()
    assert ids(date_ended_at__lte=end_day) == expected(lambda r: r.ended_at.astimezone(UTC).date() <= end_day)
    assert ids(date_ended_at__gte=end_day + timedelta(days=1)) == expected(
        lambda r: r.ended_at.astimezone(UTC).date() > end_day
    )
    assert ids(room_id=sample.room_id, type="audio") == expected(
        lambda r: r.room_id == sample.room_id and r.type == "audio"
    )


def test_delete_one_and_bulk_delete(client: TelnyxClient, seeded: Any) -> None:
    everything = list(client.iter_recordings())
    victim = everything[0]
    client.delete_recording(victim.id)
    with pytest.raises(NotFoundError):
        client.get_recording(victim.id)

    room_id = everything[-1].room_id
    in_room = {r.id for r in everything if r.room_id == room_id} - {victim.id}
    assert client.delete_recordings(room_id=room_id) == len(in_room)
    assert not list(client.iter_recordings(room_id=room_id))
    assert client.delete_recordings(room_id=room_id) == 0
    remaining = {r.id for r in client.iter_recordings()}
    assert remaining == {r.id for r in everything} - in_room - {victim.id}

    with pytest.raises(ValueError, match="at least one filter"):
        client.delete_recordings()
    with pytest.raises(TypeError):
        client.delete_recordings(roomid=room_id)


def _ended_session_with_video(client: TelnyxClient) -> tuple[str, list[RoomRecording]]:
    video = [r for r in client.iter_recordings(type="video")]
    session_id = video[0].session_id
    assert session_id
    return session_id, [r for r in video if r.session_id == session_id]


def test_composition_lifecycle(client: TelnyxClient, sandbox: Any, seeded: Any) -> None:
    session_id, videos = _ended_session_with_video(client)
    composition = client.create_composition(
        session_id=session_id,
        format="mp4",
        resolution="800x600",
        video_layout={
            "first": {"x_pos": 0, "y_pos": 0, "z_pos": 0, "width": 800, "height": 600, "video_sources": "*"}
        },
        webhook_event_url="https://example.com/compositions",
        webhook_timeout_secs=10,
    )
    assert isinstance(composition, RoomComposition)
    assert composition.status == "enqueued" and composition.session_id == session_id
    assert (composition.format, composition.resolution) == ("mp4", "800x600")
    assert composition.video_layout and "first" in composition.video_layout
    assert composition.download_url is None

    sandbox.advance_composition(composition.id)
    assert client.get_composition(composition.id).status == "processing"
    sandbox.advance_composition(composition.id)
    done = client.get_composition(composition.id)
    assert done.status == "completed" and done.download_url and done.completed_at is not None

    today = datetime.now(UTC).date()
    assert composition.id in {c.id for c in client.iter_compositions(status="completed")}
    assert composition.id not in {c.id for c in client.iter_compositions(status="enqueued")}
    assert [c.id for c in client.list_compositions(session_id=session_id).items] == [composition.id]
    assert composition.id in {c.id for c in client.iter_compositions(date_created_at=today)}
    assert composition.id in {c.id for c in client.iter_compositions(date_created_at__gte=today)}
    assert not list(client.iter_compositions(date_created_at__lte=today - timedelta(days=1)))
    page = client.list_compositions(page_size=1)
    assert page.meta.total_results >= 1 and len(page.items) == 1

    client.delete_composition(composition.id)
    with pytest.raises(NotFoundError):
        client.get_composition(composition.id)
    with pytest.raises(NotFoundError):
        client.delete_composition(composition.id)


def test_composition_validation_points_at_nested_fields(client: TelnyxClient, seeded: Any) -> None:
    session_id, _ = _ended_session_with_video(client)
    with pytest.raises(ValidationError) as caught:
        client.create_composition(
            session_id=session_id,
            resolution="4000x4000",
            video_layout={"first": {"video_sources": "everyone"}},
        )
    fields = {field for field, _ in caught.value.field_errors}
    assert "resolution" in fields
    assert "video_layout.first.video_sources" in fields
    assert caught.value.errors_for("video_layout")
