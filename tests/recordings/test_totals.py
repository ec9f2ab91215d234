"""The kept figures follow every write of a recording at once, equal a recount of the whole table,
and a page never adds the table up."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dashboard.telnyx import RoomRecording
from recordings.models import Recording, RecordingSummary, RecordingTally, SyncRun
from recordings.services import browse, totals
from recordings.services.browse import RecordingFilters
from recordings.services.sync_rows import upsert_recordings
from webhooks import media

pytestmark = pytest.mark.django_db

BASE = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def listed(n: int, **changes: object) -> RoomRecording:
    """Recording ``n`` as Telnyx lists it (a processing one has no size or duration yet)."""
    values: dict[str, object] = {
        "id": f"00000000-0000-4000-8000-{n:012d}",
        "room_id": f"room-{n % 3}",
        "session_id": f"session-{n // 4}",
        "participant_id": f"p-{n}",
        "type": "video" if n % 2 else "audio",
        "status": "completed",
        "size_mb": round(0.1 + n * 1.37, 3),
        "duration_secs": 30 + n,
        "started_at": BASE - timedelta(days=n % 5, hours=n % 13),
    }
    if n % 6 == 0:
        values.update(status="processing", size_mb=None, duration_secs=None)
    if n % 17 == 3:
        values["started_at"] = None
    values.update(changes)
    return RoomRecording(**values)  # type: ignore[arg-type]


def figures() -> tuple[list[list[object]], list[tuple[str, str]]]:
    kept = totals.read_figures()
    return sorted(kept.buckets, key=repr), kept.rooms


def assert_kept_equal_a_recount() -> None:
    kept = figures()
    assert kept[0], "some recordings should be counted"
    totals.recount_totals()
    assert figures() == kept
    for filters in (RecordingFilters(), RecordingFilters(status="gone"), RecordingFilters(type="audio")):
        summary = browse.current_summary().totals(filters)
        fresh = browse.recording_totals(browse.filter_recordings(filters))
        assert summary is not None and summary["count"] == fresh["count"]
        assert summary["size_mb"] == pytest.approx(fresh["size_mb"])
        assert summary["duration_secs"] == fresh["duration_secs"]


def test_kept_figures_equal_a_recount_after_every_kind_of_write() -> None:
    # Inserts: the sync's upsert and a plain bulk insert.
    upsert_recordings([listed(n) for n in range(40)])
    Recording.objects.bulk_create(
        Recording(telnyx_id=f"bulk-{n}", room_id="room-b", type="audio", status="completed", size_mb=2.5)
        for n in range(5)
    )
    totals.refresh_totals()  # a fold in the middle changes nothing of what is counted
    # Updates: the sync finds processing recordings completed (status, size, duration), a size and a
    # start corrected, a room named; a webhook completes another.
    upsert_recordings([listed(n, status="completed", size_mb=9.876, duration_secs=600) for n in (0, 6)])
    upsert_recordings([listed(7, size_mb=123.456, started_at=BASE - timedelta(days=9))])
    Recording.objects.filter(room_id="room-1").update(room_name="standup")
    media.recording_completed(
        {"recording_id": listed(12).id, "size_mb": 44.4, "duration_secs": 300}, at=timezone.now()
    )
    # Gone marks (as deletion, retention and the full sync write them), one listed again.
    Recording.objects.filter(telnyx_id__in=[listed(n).id for n in (1, 2, 3, 5)]).update(
        gone_upstream=True, gone_upstream_at=timezone.now()
    )
    upsert_recordings([listed(5)])
    # Deletes: a queryset and one row.
    Recording.objects.filter(telnyx_id__startswith="bulk-").exclude(telnyx_id="bulk-0").delete()
    Recording.objects.get(telnyx_id=listed(9).id).delete()
    # Writes that change nothing counted leave nothing to count.
    Recording.objects.update(last_seen_at=timezone.now())

    assert_kept_equal_a_recount()


def test_a_completed_recording_moves_into_the_figures_at_once() -> None:
    upsert_recordings([listed(n) for n in range(12)])
    before = browse.current_summary().totals(RecordingFilters())
    assert before is not None
    media.recording_completed(
        {"recording_id": listed(6).id, "size_mb": 250.0, "duration_secs": 900}, at=timezone.now()
    )
    after = browse.current_summary().totals(RecordingFilters(status="completed"))
    assert after is not None and after["count"] == 11  # 0 is still processing
    everything = browse.current_summary().totals(RecordingFilters())
    assert everything is not None and everything["size_mb"] == pytest.approx(before["size_mb"] + 250.0)
    assert everything["duration_secs"] == before["duration_secs"] + 900


def test_a_fold_keeps_the_figures_in_one_row_per_bucket_and_room() -> None:
    upsert_recordings([listed(n) for n in range(30)])
    upsert_recordings([listed(n, size_mb=1.0) for n in range(1, 30, 2)])
    Recording.objects.filter(telnyx_id=listed(4).id).delete()
    kept = figures()
    totals.refresh_totals()
    assert figures() == kept
    assert RecordingTally.objects.count() == len(kept[0]) + len(kept[1])
    totals.refresh_totals()  # nothing new: the same again
    assert figures() == kept
    assert_kept_equal_a_recount()


def test_rooms_offered_are_those_with_recordings() -> None:
    upsert_recordings([listed(n) for n in range(6)])
    assert [room for room, _ in totals.read_figures().rooms] == ["room-0", "room-1", "room-2"]
    Recording.objects.filter(room_id="room-2").delete()
    Recording.objects.filter(room_id="room-0").update(room_name="daily")
    assert totals.read_figures().rooms == [("room-0", "daily"), ("room-1", "")]


def test_recount_repairs_figures_a_hand_edit_left_wrong() -> None:
    upsert_recordings([listed(n) for n in range(20)])
    kept = figures()
    RecordingTally.objects.all().delete()
    assert figures() == ([], [])
    out = io.StringIO()
    call_command("recount_recordings", stdout=out)
    assert figures() == kept
    assert out.getvalue().startswith("20 recordings in ")


def test_figures_are_read_without_the_summary_row_too() -> None:
    upsert_recordings([listed(n) for n in range(10)])
    kept = figures()
    RecordingSummary.objects.all().delete()
    assert figures() == kept
    totals.refresh_totals()  # puts the row back
    assert RecordingSummary.objects.filter(pk=1).exists()
    assert figures() == kept


def test_the_first_page_after_new_rows_adds_nothing_up(viewer_client) -> None:  # type: ignore[no-untyped-def]
    upsert_recordings([listed(n) for n in range(60)])
    SyncRun.objects.create(kind=SyncRun.Kind.FULL, outcome=SyncRun.Outcome.SUCCEEDED, seen=60)
    viewer_client.get(reverse("recordings:list"))
    # What a sync and a webhook write meanwhile: new rows, a size changed in place, a gone mark.
    upsert_recordings([listed(n) for n in range(60, 75)])
    upsert_recordings([listed(1, size_mb=500.0)])
    Recording.objects.filter(telnyx_id=listed(2).id).update(
        gone_upstream=True, gone_upstream_at=timezone.now()
    )
    SyncRun.objects.create(kind=SyncRun.Kind.INCREMENTAL, outcome=SyncRun.Outcome.SUCCEEDED, seen=15)

    with CaptureQueriesContext(connection) as queries:
        response = viewer_client.get(reverse("recordings:list"))
    assert response.status_code == 200
    assert len(queries) <= 6
    recordings_table = connection.ops.quote_name(Recording._meta.db_table)
    assert not [q["sql"] for q in queries if "GROUP BY" in q["sql"] and recordings_table in q["sql"]]
    assert response.context["totals"]["count"] == 74  # 75 listed, one gone


def test_deleting_every_recording_leaves_nothing_counted_whatever_went_first() -> None:
    upsert_recordings([listed(n) for n in range(8)])
    # A flush deletes every table in any order: here the figures before the recordings.
    RecordingTally.objects.all().delete()
    Recording.objects.all().delete()
    assert figures() == ([], [])
    upsert_recordings([listed(n) for n in range(3)])
    assert_kept_equal_a_recount()
