"""Compositions: created from the page, polled by a real Celery worker and beat until completed,
downloaded."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from dashboard.telnyx import get_client
from recordings.forms import CompositionForm
from recordings.models import Composition, Recording
from recordings.services.composition_polls import FAST_PHASE_SECS, poll_compositions, poll_interval
from recordings.services.sync import sync_recordings
from tests.fixtures.celery_worker import wait_for


def _session_with_video() -> str:
    return (
        Recording.objects.filter(type="video")
        .order_by("telnyx_id")
        .values_list("session_id", flat=True)
        .first()
    )


@pytest.mark.django_db(transaction=True)
def test_composition_is_polled_to_completed_by_a_real_worker_and_downloads_the_sandbox_file(
    viewer_client, telnyx_sandbox, celery_worker, celery_beat
) -> None:  # type: ignore[no-untyped-def]
    telnyx_sandbox.seed(rooms=10, sessions_per_room=10, participants_per_session=2)
    sync_recordings()
    session_id = _session_with_video()

    form = {"session_id": session_id, "resolution": "1280x720", "layout": "grid"}
    preview = viewer_client.post(reverse("compositions:new"), {**form, "action": "preview"})
    assert preview.status_code == 200
    assert preview.context["preview"]["regions"][0]["w"] == 1280
    assert not Composition.objects.exists()  # a preview sends nothing

    created = viewer_client.post(reverse("compositions:new"), {**form, "action": "create"})
    assert created.status_code == 302, created.content.decode()[:2000]
    composition = Composition.objects.get()
    assert composition.session_id == session_id
    # "*" was sent; Telnyx answers with the session's video recordings it stands for.
    videos = set(
        Recording.objects.filter(session_id=session_id, type="video").values_list("telnyx_id", flat=True)
    )
    assert set(composition.video_layout["grid"]["video_sources"]) <= videos | {"*"}
    assert AuditEntry.objects.get(action=AuditEntry.Action.COMPOSITION_CREATE).succeeded

    def completed() -> bool:
        composition.refresh_from_db()
        return composition.status == Composition.Status.COMPLETED

    assert wait_for(completed, timeout=40), "".join(celery_worker.output[-30:])
    assert composition.poll_attempts >= 1  # seen by the sweep's checks (there is no webhook URL here)
    assert composition.next_poll_at is None

    badge = viewer_client.get(reverse("compositions:status", args=[composition.telnyx_id]))
    assert badge.status_code == 286
    assert 'data-status="completed"' in badge.content.decode()

    response = viewer_client.get(reverse("compositions:download", args=[composition.telnyx_id]))
    assert response.status_code == 200
    ours = hashlib.sha256(b"".join(response.streaming_content)).hexdigest()
    with get_client().open_composition_stream(composition.telnyx_id) as stream:
        theirs = hashlib.sha256(b"".join(stream.iter_bytes())).hexdigest()
    assert ours == theirs


@pytest.mark.django_db
def test_composition_past_its_deadline_is_marked_stalled(telnyx_sandbox, settings) -> None:  # type: ignore[no-untyped-def]
    telnyx_sandbox.seed(rooms=10, sessions_per_room=10, participants_per_session=2)
    sync_recordings()
    remote = get_client().create_composition(session_id=_session_with_video())
    composition = Composition.objects.create(
        telnyx_id=remote.id, status="enqueued", poll_deadline_at=timezone.now() - timedelta(seconds=1)
    )
    assert poll_compositions() == 1
    composition.refresh_from_db()
    assert composition.stalled_at is not None and composition.display_status == "stalled"
    assert composition.next_poll_at is None
    telnyx_sandbox.clear_request_counts()
    assert poll_compositions() == 0 and telnyx_sandbox.request_count() == 0  # final: never checked again


@pytest.mark.django_db
def test_poll_intervals_grow(telnyx_sandbox) -> None:  # type: ignore[no-untyped-def]
    telnyx_sandbox.seed(rooms=10, sessions_per_room=10, participants_per_session=2)
    sync_recordings()
    telnyx_sandbox.set_settings(composition_step_secs=3600)
    remote = get_client().create_composition(session_id=_session_with_video())
    composition = Composition.objects.create(
        telnyx_id=remote.id, status="enqueued", poll_deadline_at=timezone.now() + timedelta(hours=2)
    )
    delays = []
    for _ in range(5):
        Composition.objects.filter(pk=composition.pk).update(next_poll_at=timezone.now())  # due now
        before = timezone.now()
        assert poll_compositions() == 1
        composition.refresh_from_db()
        delays.append(round((composition.next_poll_at - before).total_seconds()))
    assert delays == [2, 4, 8, 15, 15]
    assert composition.poll_attempts == 5


def test_poll_schedule_sees_a_completion_within_30_s_with_bounded_calls(settings) -> None:  # type: ignore[no-untyped-def]
    """Walk the schedule to the deadline: no gap longer than 15 s in the first half hour and 20 s
    after it, so with the sweep's period on top (5 s) a completion is seen within 25 s plus the
    worker's latency at any age; and a bounded number of checks in all."""
    settings.COMPOSITION_DEADLINE_SECS = 7200
    elapsed, attempt, gaps = 0.0, 0, []
    while elapsed < settings.COMPOSITION_DEADLINE_SECS:
        gap = poll_interval(attempt, elapsed_secs=elapsed)
        gaps.append((elapsed, gap))
        elapsed, attempt = elapsed + gap, attempt + 1
    assert max(gap for at, gap in gaps if at < FAST_PHASE_SECS) <= 15.0
    assert max(gap for _, gap in gaps) + settings.COMPOSITION_POLL_SECS <= 25.0
    assert len(gaps) <= 400


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"resolution": "custom", "width": "1280", "height": "721"}, "height"),
        ({"resolution": "custom", "width": "15", "height": "100"}, "width"),
        ({"resolution": "custom", "width": "2000", "height": "100"}, "width"),
        ({"resolution": "custom", "width": "", "height": "100"}, "width"),
        ({"layout": "custom"}, "layout"),
        ({"layout": "custom", "first_enabled": "on", "first_width": "1300"}, "first_width"),
        (
            {"layout": "custom", "first_enabled": "on", "first_x_pos": "1000", "first_width": "500"},
            "first_width",
        ),
        ({"layout": "custom", "first_enabled": "on"}, "first_sources"),
        ({"layout": "side_by_side"}, "speakers"),
        ({"session_id": "nope"}, "session_id"),
    ],
)
def test_composition_form_bounds_are_checked(data, field) -> None:  # type: ignore[no-untyped-def]
    base = {"session_id": "11111111-1111-4111-8111-111111111111", "resolution": "1280x720", "layout": "grid"}
    form = CompositionForm({**base, **data}, sources=[("22222222-2222-4222-8222-222222222222", "alice")])
    assert not form.is_valid()
    assert field in form.errors, form.errors


def test_custom_layout_with_two_regions_builds_the_api_layout() -> None:
    a, b = "22222222-2222-4222-8222-222222222222", "33333333-3333-4333-8333-333333333333"
    form = CompositionForm(
        {
            "session_id": "11111111-1111-4111-8111-111111111111",
            "resolution": "custom",
            "width": "960",
            "height": "540",
            "layout": "custom",
            "first_enabled": "on",
            "first_width": "480",
            "first_sources": [a],
            "second_enabled": "on",
            "second_x_pos": "480",
            "second_width": "480",
            "second_max_columns": "2",
            "second_sources": ["*"],
        },
        sources=[(a, "alice"), (b, "bob")],
    )
    assert form.is_valid(), form.errors
    assert form.resolution_string == "960x540"
    assert form.cleaned_data["video_layout"] == {
        "first": {"x_pos": 0, "y_pos": 0, "z_pos": 0, "width": 480, "height": 540, "video_sources": [a]},
        "second": {
            "x_pos": 480,
            "y_pos": 0,
            "z_pos": 0,
            "width": 480,
            "height": 540,
            "max_columns": 2,
            "video_sources": ["*"],
        },
    }


@pytest.mark.django_db
def test_creating_for_a_live_session_shows_a_message(viewer_client, telnyx_sandbox) -> None:  # type: ignore[no-untyped-def]
    room = get_client().create_room(unique_name="live-room", enable_recording=True)
    alice = telnyx_sandbox.join(room.id, "alice")
    form = {"session_id": alice["session_id"], "resolution": "1280x720", "layout": "grid", "action": "create"}
    response = viewer_client.post(reverse("compositions:new"), form)
    assert response.status_code == 200
    assert "still live" in response.content.decode()
    assert not Composition.objects.exists()
