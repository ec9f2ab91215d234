"""The retry rule of the recordings tasks: temporary errors (429, 5xx) are retried with backoff, permanent
ones (other 4xx) are recorded on the model and end the task. Run eagerly against the sandbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from dashboard.errors import Unavailable
from dashboard.telnyx import get_client
from recordings.models import Composition
from recordings.services.compositions import poll_composition as poll_once
from recordings.tasks import MAX_RETRIES, backoff, poll_composition

pytestmark = pytest.mark.django_db

POLL = "GET /room_compositions/{room_composition_id}"


@pytest.fixture
def composition(telnyx_sandbox, settings) -> Composition:  # type: ignore[no-untyped-def]
    settings.TELNYX_MAX_RETRIES = 0  # the task's retries are under test, not the client's
    telnyx_sandbox.seed(rooms=1, sessions_per_room=1, participants_per_session=2)
    remote = get_client().create_composition(session_id=get_client().list_sessions().items[0].id)
    telnyx_sandbox.clear_request_counts()
    return Composition.objects.create(
        telnyx_id=remote.id, status="enqueued", poll_deadline_at=timezone.now() + timedelta(hours=1)
    )


@pytest.mark.parametrize("status", [429, 503])
def test_a_temporary_error_is_retried_until_the_retries_run_out(
    composition, telnyx_sandbox, settings, status
) -> None:  # type: ignore[no-untyped-def]
    settings.TELNYX_BREAKER_FAILURES = 100  # the task's own retry rule, without the breaker stepping in
    telnyx_sandbox.set_faults(rate=1.0, statuses=[status], retry_after=0)
    result = poll_composition.apply(args=(composition.pk,))
    telnyx_sandbox.clear_faults()

    assert result.failed()
    assert isinstance(result.result, Unavailable) and result.result.temporary
    assert telnyx_sandbox.request_count(POLL) == MAX_RETRIES + 1
    composition.refresh_from_db()
    assert composition.last_error == ""  # not taken for a permanent answer


@pytest.mark.parametrize("status", [400, 403])
def test_a_permanent_error_is_recorded_and_not_retried(composition, telnyx_sandbox, status) -> None:  # type: ignore[no-untyped-def]
    telnyx_sandbox.set_faults(rate=1.0, statuses=[status])
    result = poll_composition.apply(args=(composition.pk,))
    telnyx_sandbox.clear_faults()

    assert result.successful()
    assert telnyx_sandbox.request_count(POLL) == 1
    composition.refresh_from_db()
    assert composition.last_error and composition.next_poll_at is None


def test_a_refused_api_key_is_not_retried(composition, telnyx_sandbox, settings) -> None:  # type: ignore[no-untyped-def]
    settings.TELNYX_API_KEY = "KEYwrong"
    result = poll_composition.apply(args=(composition.pk,))

    assert result.successful()
    assert telnyx_sandbox.request_count(POLL) == 1
    composition.refresh_from_db()
    assert "API key" in composition.last_error


def test_retry_after_is_honoured_and_every_countdown_is_capped(composition, telnyx_sandbox, settings) -> None:  # type: ignore[no-untyped-def]
    telnyx_sandbox.set_faults(rate=1.0, statuses=[429], retry_after=7)
    with pytest.raises(Unavailable) as caught:
        poll_once(composition_pk=composition.pk)
    telnyx_sandbox.clear_faults()

    assert caught.value.temporary and caught.value.retry_after == 7
    assert backoff(0, caught.value.retry_after) == 7
    assert all(backoff(n) <= settings.CELERY_TASK_MAX_RETRY_COUNTDOWN for n in range(MAX_RETRIES + 5))
