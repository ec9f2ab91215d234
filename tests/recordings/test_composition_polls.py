"""The composition poll sweep: what it asks of Telnyx, and what it writes. Run inline against the sandbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from dashboard.telnyx import get_client
from recordings.models import Composition
from recordings.services.composition_polls import LEASE_NAME, LIST_FROM, poll_compositions
from recordings.services.sync_lease import Lease

pytestmark = pytest.mark.django_db

POLL = "GET /room_compositions/{room_composition_id}"
LIST = "GET /room_compositions"


@pytest.fixture
def sandbox(telnyx_sandbox):  # type: ignore[no-untyped-def]
    telnyx_sandbox.seed(rooms=1, sessions_per_room=1, participants_per_session=2)
    telnyx_sandbox.set_settings(composition_step_secs=3600)  # nothing completes unless told to
    return telnyx_sandbox


def _in_flight(count: int, *, due: bool = True) -> list[Composition]:
    session_id = get_client().list_sessions().items[0].id
    later = timezone.now() + timedelta(minutes=5)
    return [
        Composition.objects.create(
            telnyx_id=get_client().create_composition(session_id=session_id).id,
            status="enqueued",
            poll_deadline_at=timezone.now() + timedelta(hours=1),
            next_poll_at=None if due else later,
        )
        for _ in range(count)
    ]


def _row(composition: Composition) -> Composition:
    return Composition.objects.get(pk=composition.pk)


@pytest.mark.parametrize("count", [LIST_FROM, 40])
def test_many_due_are_listed_once_per_status_and_only_the_finished_are_fetched(sandbox, count) -> None:  # type: ignore[no-untyped-def]
    rows = _in_flight(count)
    done, gone, *waiting = rows
    sandbox.complete_composition(done.telnyx_id)
    get_client().delete_composition(gone.telnyx_id)
    sandbox.advance_composition(waiting[0].telnyx_id)  # processing now
    sandbox.clear_request_counts()

    assert poll_compositions() == count
    assert sandbox.request_count(LIST) == 2  # enqueued, processing: whatever the count
    assert sandbox.request_count(POLL) == 2  # the completed one and the deleted one
    assert sandbox.request_count() == 4

    assert _row(done).status == "completed" and _row(done).next_poll_at is None and _row(done).download_url
    assert _row(gone).gone_upstream and _row(gone).next_poll_at is None
    assert _row(waiting[0]).status == "processing"
    for row in map(_row, waiting):
        assert row.poll_attempts == 1 and row.next_poll_at > timezone.now() and not row.is_final

    sandbox.clear_request_counts()
    assert poll_compositions() == 0 and sandbox.request_count() == 0  # none due again yet


def test_a_few_due_are_fetched_one_by_one(sandbox) -> None:  # type: ignore[no-untyped-def]
    due = _in_flight(LIST_FROM - 1)
    not_due = _in_flight(1, due=False)
    sandbox.complete_composition(not_due[0].telnyx_id)
    sandbox.clear_request_counts()

    assert poll_compositions() == LIST_FROM - 1
    assert sandbox.request_count() == LIST_FROM - 1 == sandbox.request_count(POLL)
    assert all(_row(c).poll_attempts == 1 for c in due)
    assert _row(not_due[0]).status == "enqueued"  # its turn has not come: it waits for its check


def test_a_composition_completed_by_its_webhook_is_not_checked_again(sandbox) -> None:  # type: ignore[no-untyped-def]
    rows = _in_flight(LIST_FROM)
    Composition.objects.filter(pk__in=[r.pk for r in rows]).update(status="completed", next_poll_at=None)
    sandbox.clear_request_counts()
    assert poll_compositions() == 0
    assert sandbox.request_count() == 0


def test_one_sweep_at_a_time(sandbox) -> None:  # type: ignore[no-untyped-def]
    rows = _in_flight(1)
    other = Lease(LEASE_NAME, secs=60)
    assert other.acquire()
    sandbox.clear_request_counts()
    assert poll_compositions() == 0 and sandbox.request_count() == 0
    other.release()
    assert poll_compositions() == 1 and _row(rows[0]).poll_attempts == 1
