"""The sync is exact under change and failure: deletes during a walk, a killed worker, 30% faults,
nothing rewritten when nothing changed, and no flood of queued syncs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from dashboard.telnyx import Page, RoomRecording, TelnyxClient, get_client
from recordings.models import Recording, SyncLease, SyncRun
from recordings.services.sync import SyncAlreadyRunning, sync_recordings
from recordings.services.sync_lease import LEASE_NAME

# 10 rooms x 50 sessions x 2 participants x (audio + video) = 2,000 recordings, 8 pages of 250.
SEED = {"rooms": 10, "sessions_per_room": 50, "participants_per_session": 2}


def upstream_ids() -> set[str]:
    return {r.id for r in get_client().iter_recordings()}


class DeletesWhilePaging(TelnyxClient):
    """A real client; after handing out page ``after``, someone deletes ``victims`` in Telnyx (another
    tab, another tool) before the walk asks for the next page."""

    def __init__(self, *args: Any, after: int, victims: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.after = after
        self.victims = victims

    def list_recordings(self, *, page: int = 1, page_size: int = 20, **filters: Any) -> Page[RoomRecording]:
        result = super().list_recordings(page=page, page_size=page_size, **filters)
        if page == self.after and not filters and self.victims:
            for victim in self.victims:
                super().delete_recording(victim)
            self.victims = []
        return result


class KilledAfter(TelnyxClient):
    """A real client whose process "dies" (an exception no code catches) when asked for page ``page``."""

    def __init__(self, *args: Any, page: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.page = page

    def list_recordings(self, *, page: int = 1, page_size: int = 20, **filters: Any) -> Page[RoomRecording]:
        if page == self.page and not filters:
            raise SystemExit("killed")
        return super().list_recordings(page=page, page_size=page_size, **filters)


@pytest.fixture
def seeded(telnyx_sandbox):  # type: ignore[no-untyped-def]
    assert telnyx_sandbox.seed(**SEED)["recordings"] == 2000
    return telnyx_sandbox


@pytest.mark.django_db
def test_full_sync_overlapping_deletes_marks_nothing_that_still_exists(seeded) -> None:  # type: ignore[no-untyped-def]
    sync_recordings(full=True)
    # 100 recordings of the first page, deleted after the walk has read page 2: everything behind
    # them moves up 100 places, so paging by number skips 100 that still exist.
    first_page = [r.id for r in get_client().list_recordings(page=1, page_size=250).items]
    client = DeletesWhilePaging(seeded.api_key, seeded.base_url, after=2, victims=first_page[:100])
    try:
        run = sync_recordings(full=True, client=client)
    finally:
        client.close()

    alive = upstream_ids()
    assert len(alive) == 1900
    wrongly_gone = Recording.objects.filter(telnyx_id__in=alive, gone_upstream=True)
    assert not wrongly_gone.exists(), f"{wrongly_gone.count()} recordings still in Telnyx marked gone"
    assert set(Recording.objects.filter(gone_upstream=False).values_list("telnyx_id", flat=True)) >= alive
    assert run.outcome == SyncRun.Outcome.SUCCEEDED

    again = sync_recordings(full=True)  # a walk with nothing moving marks the 100 deleted ones
    assert again.gone == 100
    gone = set(Recording.objects.filter(gone_upstream=True).values_list("telnyx_id", flat=True))
    assert gone == set(first_page[:100])


@pytest.mark.django_db
def test_killed_full_sync_is_closed_as_abandoned_and_the_next_sync_finishes_its_walk(seeded) -> None:  # type: ignore[no-untyped-def]
    client = KilledAfter(seeded.api_key, seeded.base_url, page=4)
    with pytest.raises(SystemExit):
        sync_recordings(full=True, client=client)
    client.close()
    killed = SyncRun.objects.get()
    assert killed.outcome == SyncRun.Outcome.RUNNING and killed.cursor_page == 3
    assert Recording.objects.count() == 750
    # What a killed process leaves: its lease still held, expiring soon; a sync meanwhile is refused.
    SyncLease.objects.filter(name=LEASE_NAME).update(
        holder=killed.holder, expires_at=timezone.now() + timedelta(seconds=60)
    )
    with pytest.raises(SyncAlreadyRunning):
        sync_recordings()
    SyncLease.objects.filter(name=LEASE_NAME).update(expires_at=timezone.now() - timedelta(seconds=1))
    seeded.clear_request_counts()

    resumed = sync_recordings()  # an incremental sync, asked for by the beat

    killed.refresh_from_db()
    assert killed.outcome == SyncRun.Outcome.ABANDONED and killed.finished_at is not None
    assert "page 3" in killed.error
    assert resumed.outcome == SyncRun.Outcome.SUCCEEDED
    assert resumed.kind == SyncRun.Kind.FULL and resumed.resumed_from == killed
    assert seeded.request_count("GET /room_recordings") == 5  # pages 4 to 8: none read twice
    assert set(Recording.objects.values_list("telnyx_id", flat=True)) == upstream_ids()
    assert not Recording.objects.filter(gone_upstream=True).exists()
    assert sync_recordings().kind == SyncRun.Kind.INCREMENTAL  # the walk is done


@pytest.mark.django_db
def test_full_sync_command_completes_under_thirty_percent_faults(seeded, settings) -> None:  # type: ignore[no-untyped-def]
    settings.TELNYX_MAX_RETRIES = 0  # the client gives up at the first fault: the sync's budget rides it out
    settings.TELNYX_RETRY_MAX_WAIT = 0.01
    seeded.set_faults(rate=0.3, statuses=[429, 500, 503], retry_after=0, seed=11)
    try:
        call_command("sync_recordings", "--full", "--retry-budget", "60")
    finally:
        seeded.clear_faults()

    run = SyncRun.objects.get()
    assert run.outcome == SyncRun.Outcome.SUCCEEDED and run.kind == SyncRun.Kind.FULL
    faulted = seeded.request_counts()["GET /room_recordings"]
    assert sum(n for status, n in faulted.items() if status >= 429) > 0, faulted
    assert set(Recording.objects.values_list("telnyx_id", flat=True)) == upstream_ids()


@pytest.mark.django_db
def test_sync_with_nothing_changed_writes_no_row_and_costs_few_calls(seeded) -> None:  # type: ignore[no-untyped-def]
    sync_recordings(full=True)
    before = dict(Recording.objects.values_list("telnyx_id", "last_synced_at"))
    seeded.clear_request_counts()

    run = sync_recordings()

    assert run.kind == SyncRun.Kind.INCREMENTAL and run.outcome == SyncRun.Outcome.SUCCEEDED
    assert run.rows_written == 0 and run.created == 0 and run.updated == 0
    assert dict(Recording.objects.values_list("telnyx_id", "last_synced_at")) == before
    assert seeded.request_count() <= 8, seeded.request_counts()


@pytest.mark.django_db
def test_full_sync_resolves_participant_names(seeded) -> None:  # type: ignore[no-untyped-def]
    sync_recordings(full=True)
    assert not Recording.objects.filter(participant_context__isnull=True).exists()
    for recording in Recording.objects.order_by("telnyx_id")[:5]:
        person = get_client().get_participant(recording.participant_id)
        assert recording.participant_context == person.context != ""


@pytest.mark.django_db
def test_full_sync_reads_names_from_one_walk_of_sessions_with_participants(seeded) -> None:  # type: ignore[no-untyped-def]
    seeded.clear_request_counts()
    run = sync_recordings(full=True)
    counts = {op: sum(by.values()) for op, by in seeded.request_counts().items()}
    # 500 sessions, 1,000 participants: 2 pages of sessions (with their participants), where a walk
    # of /room_participants took 4, and one call per session would take 500.
    assert counts.get("GET /room_sessions") == 2, counts
    assert "GET /room_participants" not in counts, counts
    assert not any("/participants" in op for op in counts), counts
    assert counts["GET /room_recordings"] == 8, counts
    assert run.api_calls == sum(counts.values())
    assert not Recording.objects.filter(participant_context__isnull=True).exists()


@pytest.mark.django_db
def test_sync_requests_are_rate_limited_per_user_and_one_is_queued_at_a_time(
    viewer_client, admin_client, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks() as queued:
        first = viewer_client.post(reverse("recordings:sync"), follow=True)
        for _ in range(99):
            viewer_client.post(reverse("recordings:sync"))
        again = viewer_client.post(reverse("recordings:sync"), follow=True)
        other = admin_client.post(reverse("recordings:sync"), follow=True)
    assert len(queued) == 1
    assert "A sync was queued" in first.content.decode()
    assert "wait a minute" in again.content.decode()
    assert "already queued" in other.content.decode()
