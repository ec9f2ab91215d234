"""Applying events to live state: idempotent, and right whatever order the events arrive in."""

from __future__ import annotations

import pytest

from recordings.models import Composition, Recording
from webhooks import applying
from webhooks.live import session_state
from webhooks.models import WebhookEvent

from .conftest import event, minutes_ago

pytestmark = pytest.mark.django_db


@pytest.fixture
def deliver(post_signed):
    """Receive a signed event and apply it as the task would; returns the stored row."""

    def deliver(body: bytes) -> WebhookEvent:
        response = post_signed(body)
        assert response.status_code == 200
        stored = WebhookEvent.objects.get(event_id=response.json()["event_id"])
        applying.apply_event(pk=stored.pk)
        stored.refresh_from_db()
        return stored

    return deliver


def joined(pid: str, at, session: str = "s1"):  # type: ignore[no-untyped-def]
    return event(
        "video.room.participant.joined",
        at=at,
        room_id="r1",
        session_id=session,
        participant_id=pid,
        context=pid,
    )


def left(pid: str, at, reason: str = "left", session: str = "s1"):  # type: ignore[no-untyped-def]
    return event(
        "video.room.participant.left",
        at=at,
        room_id="r1",
        session_id=session,
        participant_id=pid,
        context=pid,
        left_reason=reason,
        duration_secs=60,
    )


def test_join_then_leave_in_order(deliver):
    deliver(event("video.room.session.started", at=minutes_ago(5), room_id="r1", session_id="s1"))
    deliver(joined("alice", minutes_ago(4)))
    deliver(joined("bob", minutes_ago(3)))
    deliver(left("bob", minutes_ago(1), reason="kick"))
    state = session_state("s1")
    assert state is not None and state.active and state.room_id == "r1"
    assert [p.participant_id for p in state.present] == ["alice"]
    bob = next(p for p in state.participants if p.participant_id == "bob")
    assert bob.left_reason == "kick"


def test_left_before_joined_ends_as_left(deliver):
    deliver(left("alice", minutes_ago(1)))
    deliver(joined("alice", minutes_ago(2)))
    state = session_state("s1")
    assert state is not None
    (alice,) = state.participants
    assert not alice.present
    assert alice.joined_at < alice.left_at


def test_an_older_event_never_overrides_a_newer_one(deliver):
    deliver(joined("alice", minutes_ago(2)))
    deliver(left("alice", minutes_ago(1), reason="kick"))
    deliver(left("alice", minutes_ago(3), reason="left"))  # an older, duplicated-by-id-less report
    (alice,) = session_state("s1").participants
    assert not alice.present and alice.left_reason == "kick"
    assert alice.left_at > alice.joined_at


def test_session_ended_before_started_stays_ended(deliver):
    deliver(
        event("video.room.session.ended", at=minutes_ago(1), room_id="r1", session_id="s1", ended_reason="x")
    )
    deliver(event("video.room.session.started", at=minutes_ago(9), room_id="r1", session_id="s1"))
    state = session_state("s1")
    assert state is not None and not state.active and state.started_at < state.ended_at


def test_nobody_is_present_once_the_session_ended(deliver):
    deliver(joined("alice", minutes_ago(3)))
    deliver(event("video.room.session.ended", at=minutes_ago(1), room_id="r1", session_id="s1"))
    assert session_state("s1").present == []


def test_session_state_of_an_unknown_session_is_none():
    assert session_state("never-heard-of") is None


def test_waiting_events_are_applied_newest_arrival_first(post_signed):
    """Behind a backlog, what arrived last goes next (a moderator is watching it now); the rest
    follow, each applied once, and the result is what any order gives."""
    for n in range(2 * applying.WAITING_CHUNK + 5):
        post_signed(joined(f"p{n}", minutes_ago(60 - n)))  # queued: no worker applies them here
    latest = WebhookEvent.objects.latest("pk")

    assert applying.apply_waiting(limit=1) == 1
    assert list(WebhookEvent.objects.filter(applied_at__isnull=False)) == [latest]

    assert applying.apply_waiting() == 2 * applying.WAITING_CHUNK + 4
    assert not WebhookEvent.objects.filter(applied_at__isnull=True).exists()
    assert set(WebhookEvent.objects.values_list("attempts", flat=True)) == {1}
    assert len(session_state("s1").present) == 2 * applying.WAITING_CHUNK + 5


def test_applying_twice_applies_once(post_signed):
    response = post_signed(joined("alice", minutes_ago(1)))
    pk = WebhookEvent.objects.get(event_id=response.json()["event_id"]).pk
    assert applying.apply_event(pk=pk) is True
    assert applying.apply_event(pk=pk) is False
    stored = WebhookEvent.objects.get(pk=pk)
    assert stored.attempts == 1 and stored.applied_at is not None


def test_unknown_event_type_is_applied_with_a_note(deliver):
    stored = deliver(event("video.room.something.new", room_id="r1"))
    assert stored.applied_at is not None and not stored.apply_error
    assert "not an event type" in stored.apply_note


def test_recording_completed_upserts_the_recording_with_its_link(deliver):
    stored = deliver(
        event(
            "video.room.recording.completed",
            room_id="r1",
            session_id="s1",
            participant_id="p1",
            recording_id="rec1",
            type="audio",
            codec="opus",
            download_url="https://example.test/r",
            duration_secs=42,
            size_mb=1.5,
        )
    )
    assert stored.applied_at is not None and not stored.apply_error
    recording = Recording.objects.get(telnyx_id="rec1")
    assert (recording.status, recording.download_url, recording.duration_secs) == (
        "completed",
        "https://example.test/r",
        42,
    )
    assert recording.session_id == "s1" and recording.size_mb == 1.5 and recording.completed_at is not None


def test_recording_completed_keeps_what_the_sync_knew(deliver):
    Recording.objects.create(
        telnyx_id="rec2", room_id="r1", status="processing", codec="opus", room_name="standup"
    )
    deliver(
        event(
            "video.room.recording.completed",
            room_id="r1",
            session_id="s1",
            recording_id="rec2",
            download_url="https://example.test/r2",
        )
    )
    recording = Recording.objects.get(telnyx_id="rec2")
    assert recording.status == "completed" and recording.download_url == "https://example.test/r2"
    assert recording.codec == "opus" and recording.room_name == "standup"


def test_composition_completed_marks_the_local_row_final(deliver):
    composition = Composition.objects.create(
        telnyx_id="comp1", status="processing", next_poll_at=minutes_ago(-1)
    )
    deliver(
        event(
            "video.room.composition.completed",
            composition_id="comp1",
            room_id="r1",
            session_id="s1",
            download_url="https://example.test/c",
            format="mp4",
            size_mb=3.0,
        )
    )
    composition.refresh_from_db()
    assert composition.status == "completed" and composition.is_final and composition.next_poll_at is None
    assert composition.download_url == "https://example.test/c" and composition.size_mb == 3.0


def test_session_ended_queues_a_recordings_sync(post_signed, django_capture_on_commit_callbacks):
    response = post_signed(event("video.room.session.ended", room_id="r1", session_id="s9"))
    pk = WebhookEvent.objects.get(event_id=response.json()["event_id"]).pk
    with django_capture_on_commit_callbacks() as callbacks:
        applying.apply_event(pk=pk)
    assert len(callbacks) == 1
    assert "sync" in WebhookEvent.objects.get(pk=pk).apply_note


def test_unusable_payload_fails_and_can_be_applied_again(
    deliver, admin_client, django_capture_on_commit_callbacks
):
    stored = deliver(event("video.room.participant.joined", room_id="r1", session_id="s1"))
    assert stored.applied_at is None and "participant_id" in stored.apply_error and stored.failed
    page = admin_client.get("/webhooks/?failed=1").content.decode()
    assert "Apply again" in page and stored.event_id in page
    with django_capture_on_commit_callbacks() as callbacks:
        response = admin_client.post(f"/webhooks/events/{stored.pk}/apply")
    assert response.status_code == 302
    assert len(callbacks) == 1  # the apply task, queued once the error was cleared
    stored.refresh_from_db()
    assert not stored.apply_error


def test_apply_again_is_refused_for_an_event_that_did_not_fail(deliver, admin_client):
    stored = deliver(joined("alice", minutes_ago(1)))
    response = admin_client.post(f"/webhooks/events/{stored.pk}/apply", follow=True)
    assert "Only an event that failed" in response.content.decode()
