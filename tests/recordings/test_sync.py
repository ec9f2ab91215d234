"""The recordings sync against the sandbox: complete, cheap when nothing changed, idempotent."""

from __future__ import annotations

import threading
import time
from datetime import date

import pytest
from django.db import connection
from django.db.models import Count

from dashboard.errors import UserError
from dashboard.telnyx import get_client
from recordings.models import Composition, Recording, SyncRun
from recordings.services.sync import SyncAlreadyRunning, sync_lease, sync_recordings

# 25 rooms x 50 sessions x 2 participants x (audio + video) = 5,000 recordings.
SEED = {"rooms": 25, "sessions_per_room": 50, "participants_per_session": 2, "compositions_per_room": 1}


def upstream_ids(sandbox) -> set[str]:  # type: ignore[no-untyped-def]
    return {r.id for r in get_client().iter_recordings()}


def local_snapshot() -> dict[str, tuple]:
    fields = (
        "room_id",
        "session_id",
        "participant_id",
        "type",
        "status",
        "size_mb",
        "duration_secs",
        "started_at",
    )
    return {row[0]: row[1:] for row in Recording.objects.values_list("telnyx_id", *fields)}


def sync_until_done(attempts: int = 20, **kwargs) -> SyncRun:  # type: ignore[no-untyped-def]
    """What the Celery task does: run again after a temporary error (upserts make that safe)."""
    for _ in range(attempts):
        try:
            return sync_recordings(**kwargs)
        except UserError as exc:
            assert exc.temporary, exc
    raise AssertionError("the sync never completed")


@pytest.fixture
def seeded(telnyx_sandbox):  # type: ignore[no-untyped-def]
    counts = telnyx_sandbox.seed(**SEED)
    assert counts["recordings"] == 5000
    return telnyx_sandbox


@pytest.mark.django_db
def test_first_sync_is_complete_and_second_with_nothing_new_costs_few_calls(seeded) -> None:  # type: ignore[no-untyped-def]
    seeded.clear_request_counts()
    started = time.monotonic()
    first = sync_recordings()
    elapsed = time.monotonic() - started

    assert first.kind == SyncRun.Kind.FULL and first.outcome == SyncRun.Outcome.SUCCEEDED
    assert Recording.objects.count() == 5000 == first.seen == first.created
    assert Composition.objects.count() == 25
    assert set(Recording.objects.values_list("telnyx_id", flat=True)) == upstream_ids(seeded)
    assert not Recording.objects.filter(room_name__isnull=True).exists()
    assert elapsed < 30, f"5,000 recordings took {elapsed:.1f}s"

    before = local_snapshot()
    seeded.clear_request_counts()
    second = sync_recordings()

    calls = seeded.request_count()
    assert second.kind == SyncRun.Kind.INCREMENTAL and second.outcome == SyncRun.Outcome.SUCCEEDED
    assert calls <= 5, seeded.request_counts()
    assert second.api_calls == calls
    assert second.created == 0 and second.gone == 0
    assert local_snapshot() == before


@pytest.mark.django_db
def test_sync_under_thirty_percent_faults_gives_the_identical_result(seeded, settings) -> None:  # type: ignore[no-untyped-def]
    sync_recordings()
    clean = local_snapshot()
    Recording.objects.all().delete()
    SyncRun.objects.all().delete()

    settings.TELNYX_MAX_RETRIES = 4
    settings.TELNYX_RETRY_MAX_WAIT = 0.05
    settings.TELNYX_READ_TIMEOUT = 0.5
    seeded.set_faults(
        rate=0.3, statuses=[429, 500, 503], retry_after=0, timeout_rate=0.05, timeout_secs=1, seed=7
    )
    try:
        run = sync_until_done()
    finally:
        seeded.clear_faults()

    assert run.outcome == SyncRun.Outcome.SUCCEEDED
    faulted = seeded.request_counts()["GET /room_recordings"]
    assert sum(n for status, n in faulted.items() if status >= 429) > 0, faulted
    assert local_snapshot() == clean


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_syncs_leave_no_duplicates(seeded) -> None:  # type: ignore[no-untyped-def]
    sync_recordings()  # the first full sync
    more = seeded.seed(
        rooms=10, sessions_per_room=10, participants_per_session=2
    )  # 400 more, all in the past
    errors: list[BaseException] = []
    runs: list[SyncRun] = []

    def run(**kwargs) -> None:  # type: ignore[no-untyped-def]
        try:
            runs.append(sync_recordings(**kwargs))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    # A full walk and an incremental one whose window covers everything, at the same time.
    threads = [
        threading.Thread(target=run, kwargs={"full": True}),
        threading.Thread(target=run, kwargs={"since": date(2000, 1, 1)}),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    # One sync at a time: the second to start is skipped, never interleaved.
    assert all(isinstance(exc, SyncAlreadyRunning) for exc in errors), errors
    assert runs and len(runs) + len(errors) == 2
    sync_recordings(full=True)
    assert Recording.objects.count() == 5000 + more["recordings"]
    duplicates = Recording.objects.values("telnyx_id").annotate(n=Count("id")).filter(n__gt=1)
    assert not duplicates.exists()
    assert set(Recording.objects.values_list("telnyx_id", flat=True)) == upstream_ids(seeded)


@pytest.mark.django_db
def test_full_syncs_never_overlap(telnyx_sandbox) -> None:  # type: ignore[no-untyped-def]
    with sync_lease(), pytest.raises(SyncAlreadyRunning):
        sync_recordings(full=True)
    assert SyncRun.objects.get().outcome == SyncRun.Outcome.SKIPPED
    telnyx_sandbox.clear_request_counts()
    assert sync_recordings(full=True).outcome == SyncRun.Outcome.SUCCEEDED  # the lock was released


@pytest.mark.django_db
def test_recording_deleted_upstream_is_marked_after_a_full_sync(seeded) -> None:  # type: ignore[no-untyped-def]
    sync_recordings()
    victim = Recording.objects.order_by("telnyx_id").first()
    assert victim is not None
    get_client().delete_recording(victim.telnyx_id)

    run = sync_recordings(full=True)

    victim.refresh_from_db()
    assert victim.gone_upstream and victim.gone_upstream_at is not None
    assert run.gone == 1
    assert Recording.objects.count() == 5000  # kept, never silently dropped
    assert Recording.objects.filter(gone_upstream=True).count() == 1


@pytest.mark.django_db
def test_new_recording_is_picked_up_by_an_incremental_sync(telnyx_sandbox) -> None:  # type: ignore[no-untyped-def]
    telnyx_sandbox.seed(rooms=10, sessions_per_room=10, participants_per_session=2)
    sync_recordings()
    room = get_client().create_room(unique_name="fresh-room", enable_recording=True)
    alice = telnyx_sandbox.join(room.id, "alice")
    telnyx_sandbox.leave(alice["id"])

    run = sync_recordings()

    assert run.kind == SyncRun.Kind.INCREMENTAL
    assert run.created == 2
    fresh = Recording.objects.filter(room_id=room.id)
    assert fresh.count() == 2
    assert set(fresh.values_list("room_name", flat=True)) == {"fresh-room"}
