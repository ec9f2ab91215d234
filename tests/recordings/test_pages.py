"""The recordings and compositions pages: filters, totals, permissions, bad input, Telnyx down."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from recordings.models import Composition, Recording, SyncRun

pytestmark = pytest.mark.django_db


def make_recordings() -> None:
    base = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    rows = []
    for i in range(60):
        rows.append(
            Recording(
                telnyx_id=f"00000000-0000-4000-8000-{i:012d}",
                room_id="room-a" if i % 2 else "room-b",
                room_name="alpha" if i % 2 else "beta",
                session_id=f"10000000-0000-4000-8000-{i % 5:012d}",
                participant_id=f"20000000-0000-4000-8000-{i % 3:012d}",
                participant_context=["alice", "bob", "carol"][i % 3],
                type="video" if i % 4 else "audio",
                status="completed",
                size_mb=float(i),
                duration_secs=10 * i,
                started_at=base - timedelta(days=i % 10),
            )
        )
    Recording.objects.bulk_create(rows)


def test_recordings_page_filters_sorts_pages_and_totals(viewer_client) -> None:  # type: ignore[no-untyped-def]
    make_recordings()
    response = viewer_client.get(reverse("recordings:list"))
    assert response.status_code == 200
    assert response.context["totals"]["count"] == 60
    assert len(response.context["recordings"]) == 50

    response = viewer_client.get(
        reverse("recordings:list"),
        {"room": "room-a", "type": "video", "min_duration": "200", "sort": "-size", "participant": "alice"},
    )
    rows = list(response.context["recordings"])
    assert rows and all(r.room_id == "room-a" and r.type == "video" and r.duration_secs >= 200 for r in rows)
    assert all(r.participant_context == "alice" for r in rows)
    assert [r.size_mb for r in rows] == sorted((r.size_mb for r in rows), reverse=True)
    assert response.context["totals"]["count"] == len(rows)
    assert response.context["totals"]["size_mb"] == sum(r.size_mb for r in rows)

    response = viewer_client.get(
        reverse("recordings:list"), {"started_from": "2026-03-09", "started_to": "2026-03-10"}
    )
    assert response.context["totals"]["count"] == 12


def test_htmx_filter_renders_only_the_table_partial(viewer_client) -> None:  # type: ignore[no-untyped-def]
    make_recordings()
    response = viewer_client.get(
        reverse("recordings:list"),
        {"type": "audio"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="recordings-table",
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="recordings-table"')
    assert "<html" not in body


def test_bad_filter_input_shows_messages_beside_fields_not_500(viewer_client) -> None:  # type: ignore[no-untyped-def]
    response = viewer_client.get(
        reverse("recordings:list"),
        {"started_from": "2026-13-45", "min_duration": "-4", "session": "nope", "started_to": "x"},
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"started_from", "min_duration", "session", "started_to"} <= set(errors)
    assert "has-error" in response.content.decode()


def test_last_sync_and_its_error_are_shown(viewer_client) -> None:  # type: ignore[no-untyped-def]
    SyncRun.objects.create(
        kind="incremental",
        outcome="failed",
        error="Telnyx had a server error (503).",
        finished_at=timezone.now(),
    )
    body = viewer_client.get(reverse("recordings:list")).content.decode()
    assert "Telnyx had a server error (503)." in body
    assert "failed" in body


def test_storage_chart_has_thirty_days(viewer_client) -> None:  # type: ignore[no-untyped-def]
    Recording.objects.create(
        telnyx_id="00000000-0000-4000-8000-000000000a03",
        size_mb=5,
        started_at=timezone.now(),
        status="completed",
    )
    response = viewer_client.get(reverse("recordings:list"))
    bars = response.context["chart"]["bars"]
    assert len(bars) == 30
    assert bars[-1]["size_mb"] == 5
    assert response.content.decode().count("<rect ") == 30


def test_deleting_needs_the_admin_role(viewer_client, moderator_client) -> None:  # type: ignore[no-untyped-def]
    recording_id = "00000000-0000-4000-8000-0000000000a1"
    Recording.objects.create(telnyx_id=recording_id, status="completed")
    for client in (viewer_client, moderator_client):
        assert client.post(reverse("recordings:delete", args=[recording_id])).status_code == 403
        assert client.get(reverse("recordings:bulk_delete"), {"type": "audio"}).status_code == 403
    assert not Recording.objects.get().gone_upstream


def test_composition_new_url_takes_a_session_id(viewer_client) -> None:  # type: ignore[no-untyped-def]
    url = reverse("compositions:new") + "?session_id=not-a-uuid"
    response = viewer_client.get(url)
    assert response.status_code == 200


def test_composition_badge_answers_286_when_final(viewer_client) -> None:  # type: ignore[no-untyped-def]
    running = Composition.objects.create(
        telnyx_id="00000000-0000-4000-8000-000000000a00", status="processing"
    )
    done = Composition.objects.create(telnyx_id="00000000-0000-4000-8000-000000000a01", status="completed")
    stalled = Composition.objects.create(
        telnyx_id="00000000-0000-4000-8000-000000000a02", status="enqueued", stalled_at=timezone.now()
    )
    assert viewer_client.get(reverse("compositions:status", args=[running.telnyx_id])).status_code == 200
    assert viewer_client.get(reverse("compositions:status", args=[done.telnyx_id])).status_code == 286
    response = viewer_client.get(reverse("compositions:status", args=[stalled.telnyx_id]))
    assert response.status_code == 286
    assert 'data-status="stalled"' in response.content.decode()


def test_download_with_telnyx_down_shows_a_banner_not_500(viewer_client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.TELNYX_API_KEY = "KEY"
    settings.TELNYX_API_BASE_URL = "http://127.0.0.1:9/v2"
    settings.TELNYX_MAX_RETRIES = 0
    Recording.objects.create(telnyx_id="00000000-0000-4000-8000-000000000001", status="completed")
    response = viewer_client.get(
        reverse("recordings:download", args=["00000000-0000-4000-8000-000000000001"])
    )
    assert response.status_code == 502
    assert "Could not connect to Telnyx" in response.content.decode()
