"""How the recordings tasks meet errors. The composition poll sweep: a temporary error (429, 5xx) ends
the sweep and the compositions wait (Telnyx's Retry-After, or longer), a permanent one (other 4xx)
is recorded on the composition and checked again much later; neither is retried by Celery, since
the next sweep is the retry. The other tasks retry temporary errors with a capped backoff. Run
eagerly against the sandbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from dashboard.telnyx import get_client
from recordings.models import Composition
from recordings.services.composition_polls import PERMANENT_ERROR_WAIT_SECS, TEMPORARY_ERROR_WAIT_SECS
from recordings.tasks import MAX_RETRIES, backoff, poll_composition, poll_compositions

pytestmark = pytest.mark.django_db

POLL = "GET /room_compositions/{room_composition_id}"
LIST = "GET /room_compositions"


def _in_flight(count: int) -> list[Composition]:
    session_id = get_client().list_sessions().items[0].id
    rows = []
    for _ in range(count):
        remote = get_client().create_composition(session_id=session_id)
        rows.append(
            Composition.objects.create(
                telnyx_id=remote.id, status="enqueued", poll_deadline_at=timezone.now() + timedelta(hours=1)
            )
        )
    return rows


@pytest.fixture
def sandbox(telnyx_sandbox, settings):  # type: ignore[no-untyped-def]
    settings.TELNYX_MAX_RETRIES = 0  # the sweep's own handling is under test, not the client's retries
    settings.TELNYX_BREAKER_FAILURES = 100
    telnyx_sandbox.seed(rooms=1, sessions_per_room=1, participants_per_session=2)
    return telnyx_sandbox


def _waits(rows: list[Composition]) -> list[float]:
    now = timezone.now()
    return [(Composition.objects.get(pk=r.pk).next_poll_at - now).total_seconds() for r in rows]


@pytest.mark.parametrize(("count", "calls", "operation"), [(1, 1, POLL), (4, 1, LIST)])
@pytest.mark.parametrize("status", [429, 503])
def test_a_temporary_error_ends_the_sweep_and_the_compositions_wait(
    sandbox, status, count, calls, operation
) -> None:  # type: ignore[no-untyped-def]
    rows = _in_flight(count)
    sandbox.clear_request_counts()
    sandbox.set_faults(rate=1.0, statuses=[status], retry_after=0)
    poll_compositions.apply()
    assert sandbox.request_count() == calls == sandbox.request_count(operation)
    assert all(TEMPORARY_ERROR_WAIT_SECS - 5 < wait <= TEMPORARY_ERROR_WAIT_SECS for wait in _waits(rows))
    assert all(Composition.objects.get(pk=r.pk).last_error == "" for r in rows)  # not taken for permanent

    poll_compositions.apply()  # the next sweep finds nothing due: no call until the wait is over
    assert sandbox.request_count() == calls
    sandbox.clear_faults()


def test_retry_after_is_honoured(sandbox) -> None:  # type: ignore[no-untyped-def]
    rows = _in_flight(1)
    sandbox.set_faults(rate=1.0, statuses=[429], retry_after=90)
    poll_compositions.apply()
    sandbox.clear_faults()
    assert 85 < _waits(rows)[0] <= 90


@pytest.mark.parametrize("status", [400, 403])
def test_a_permanent_error_is_recorded_and_checked_again_much_later(sandbox, status) -> None:  # type: ignore[no-untyped-def]
    rows = _in_flight(1)
    sandbox.clear_request_counts()
    sandbox.set_faults(rate=1.0, statuses=[status])
    poll_compositions.apply()
    poll_compositions.apply()
    sandbox.clear_faults()

    assert sandbox.request_count(POLL) == 1
    composition = Composition.objects.get(pk=rows[0].pk)
    assert composition.last_error and not composition.is_final
    assert PERMANENT_ERROR_WAIT_SECS - 5 < _waits(rows)[0] <= PERMANENT_ERROR_WAIT_SECS


def test_a_refused_list_is_recorded_on_every_composition_it_was_for(sandbox) -> None:  # type: ignore[no-untyped-def]
    rows = _in_flight(3)
    sandbox.clear_request_counts()
    sandbox.set_faults(rate=1.0, statuses=[403])
    poll_compositions.apply()
    sandbox.clear_faults()
    assert sandbox.request_count() == 1 == sandbox.request_count(LIST)
    assert all(Composition.objects.get(pk=r.pk).last_error for r in rows)


def test_a_refused_api_key_is_recorded(sandbox, settings) -> None:  # type: ignore[no-untyped-def]
    rows = _in_flight(1)
    sandbox.clear_request_counts()
    settings.TELNYX_API_KEY = "KEYwrong"
    poll_compositions.apply()
    assert sandbox.request_count(POLL) == 1
    assert "API key" in Composition.objects.get(pk=rows[0].pk).last_error


def test_a_poll_queued_by_the_previous_poller_runs_the_sweep(sandbox) -> None:  # type: ignore[no-untyped-def]
    (row,) = _in_flight(1)
    sandbox.complete_composition(row.telnyx_id)
    assert poll_composition.apply(args=(row.pk,)).successful()
    assert Composition.objects.get(pk=row.pk).status == "completed"


def test_every_retry_countdown_is_capped(settings) -> None:  # type: ignore[no-untyped-def]
    assert backoff(0, 7) == 7  # Telnyx's Retry-After, when it said
    assert all(backoff(n) <= settings.CELERY_TASK_MAX_RETRY_COUNTDOWN for n in range(MAX_RETRIES + 5))
