"""The recordings list at scale: pages read from either end, stable order with ties and NULLs,
kept totals that follow the data, and a bounded number of queries per page."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from recordings.models import Recording, SyncRun
from recordings.services import browse
from recordings.services.browse import RecordingFilters

pytestmark = pytest.mark.django_db

BASE = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def make_rows(count: int = 37) -> list[Recording]:
    """Rows with many ties (four start instants, three sizes), NULL sizes, durations and starts,
    and a few gone upstream."""
    rows = [
        Recording(
            telnyx_id=f"00000000-0000-4000-8000-{i:012d}",
            room_id="room-a",
            type="video" if i % 2 else "audio",
            status="processing" if i % 7 == 0 else "completed",
            size_mb=None if i % 7 == 0 else float(i % 3),
            duration_secs=None if i % 7 == 0 else 60 * (i % 4),
            started_at=None if i % 11 == 5 else BASE - timedelta(days=i % 4),
            gone_upstream=i % 9 == 4,
        )
        for i in range(count)
    ]
    return Recording.objects.bulk_create(rows)


def expected_order(rows: list[Recording], sort: str) -> list[int]:
    """The documented order: NULL lowest (last going down, first going up), then the id."""
    column = {"date": "started_at", "size": "size_mb", "duration": "duration_secs"}[sort.lstrip("-")]
    live = [r for r in rows if not r.gone_upstream]

    def key(r: Recording) -> tuple[bool, object, int]:
        value = getattr(r, column)
        return (value is not None, value if value is not None else 0, r.pk)

    return [r.pk for r in sorted(live, key=key, reverse=sort.startswith("-"))]


@pytest.mark.parametrize("sort", ["-date", "date", "-size", "size", "-duration", "duration"])
def test_walking_the_pages_returns_every_row_once_in_a_stable_order(sort: str) -> None:
    rows = make_rows()
    summary = browse.current_summary()
    first = browse.recording_page(RecordingFilters(), sort=sort, number=1, per_page=5, summary=summary)
    seen: list[int] = []
    for number in range(1, first.num_pages + 1):
        page = browse.recording_page(
            RecordingFilters(), sort=sort, number=number, per_page=5, summary=summary
        )
        assert page.number == number
        seen.extend(r.pk for r in page.rows)
    assert seen == expected_order(rows, sort)
    assert len(seen) == len(set(seen)) == first.totals["count"]


def test_a_page_past_the_end_is_the_last_page() -> None:
    rows = make_rows()
    summary = browse.current_summary()
    page = browse.recording_page(RecordingFilters(), sort="-date", number=999, per_page=5, summary=summary)
    assert page.number == page.num_pages
    assert [r.pk for r in page.rows] == expected_order(rows, "-date")[(page.number - 1) * 5 :]


def test_totals_follow_new_rows_rows_marked_gone_and_sizes_changed_in_place() -> None:
    make_rows()
    before = browse.current_summary().totals(RecordingFilters())
    assert before is not None
    Recording.objects.create(telnyx_id="00000000-0000-4000-8000-999999999999", size_mb=5.0, started_at=BASE)
    after_new = browse.current_summary().totals(RecordingFilters())
    assert after_new is not None and after_new["count"] == before["count"] + 1
    assert after_new["size_mb"] == pytest.approx(before["size_mb"] + 5.0)

    Recording.objects.filter(telnyx_id="00000000-0000-4000-8000-999999999999").update(
        gone_upstream=True, gone_upstream_at=timezone.now()
    )
    after_gone = browse.current_summary().totals(RecordingFilters())
    assert after_gone is not None and after_gone["count"] == before["count"]

    # A size changed in place (the sync, a webhook) shows at once, before any sync run ends.
    Recording.objects.filter(size_mb=2.0, gone_upstream=False).update(size_mb=12.0)
    after_change = browse.current_summary().totals(RecordingFilters())
    changed = Recording.objects.filter(size_mb=12.0).count()
    assert after_change is not None and after_change["size_mb"] == pytest.approx(
        before["size_mb"] + 10.0 * changed
    )
    SyncRun.objects.create(kind=SyncRun.Kind.INCREMENTAL, outcome=SyncRun.Outcome.SUCCEEDED)
    summary = browse.current_summary()
    assert summary.last_sync is not None and summary.last_sync.outcome == SyncRun.Outcome.SUCCEEDED


@pytest.mark.parametrize(
    "filters",
    [
        RecordingFilters(),
        RecordingFilters(type="video"),
        RecordingFilters(status="processing"),
        RecordingFilters(status="gone"),
        RecordingFilters(started_from=date(2026, 3, 8), started_to=date(2026, 3, 9)),
    ],
    ids=["none", "type", "status", "gone", "dates"],
)
def test_kept_totals_equal_a_fresh_count(filters: RecordingFilters) -> None:
    make_rows()
    kept = browse.current_summary().totals(filters)
    assert kept is not None
    fresh = browse.recording_totals(browse.filter_recordings(filters))
    assert kept["count"] == fresh["count"] > 0
    assert kept["size_mb"] == pytest.approx(fresh["size_mb"])
    assert kept["duration_secs"] == fresh["duration_secs"]


def test_storage_chart_counts_live_recordings_per_utc_day() -> None:
    rows = make_rows()
    chart = browse.storage_per_day(days=5, today=BASE.date())
    assert [d["day"] for d in chart] == [BASE.date() - timedelta(days=4 - i) for i in range(5)]
    for entry in chart:
        live = [
            r for r in rows if not r.gone_upstream and r.started_at and r.started_at.date() == entry["day"]
        ]
        assert entry["count"] == len(live)
        assert entry["size_mb"] == pytest.approx(sum(r.size_mb or 0 for r in live))


@pytest.mark.parametrize("query", ["", "?page=999", "?sort=-size", "?sort=duration&page=2", "?type=video"])
def test_recordings_page_needs_a_bounded_number_of_queries(
    viewer_client, django_assert_max_num_queries, query: str
) -> None:  # type: ignore[no-untyped-def]
    """Session, user, the user's and the groups' permissions, the kept figures (with the last sync
    run), the rows: six (the header's role reads the permissions already loaded)."""
    make_rows(120)
    SyncRun.objects.create(kind=SyncRun.Kind.FULL, outcome=SyncRun.Outcome.SUCCEEDED, seen=120)
    with django_assert_max_num_queries(6):
        response = viewer_client.get(reverse("recordings:list") + query)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-recording="' in body
    assert "120 listed" in body  # the last sync run, read in the same query as the figures
