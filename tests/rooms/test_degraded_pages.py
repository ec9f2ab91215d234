"""Pages while Telnyx hangs, is slow or is down: they answer within the budget from the last data."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

HANG = {"timeout_rate": 1.0, "timeout_secs": 4.0}


@pytest.fixture
def budget(settings):  # type: ignore[no-untyped-def]
    """A short page budget with client limits far beyond it (as in production: 15 s × 4 attempts)."""
    settings.TELNYX_PAGE_BUDGET_SECS = 1.0
    settings.TELNYX_READ_TIMEOUT = 10.0
    settings.TELNYX_MAX_RETRIES = 3
    return settings


def test_a_hung_room_list_answers_within_the_budget_from_last_known_data(
    admin_client, make_room, telnyx_sandbox, budget
):
    make_room(unique_name="remembered")
    assert "remembered" in admin_client.get(reverse("rooms:list")).content.decode()
    telnyx_sandbox.set_faults(**HANG)
    started = time.monotonic()
    response = admin_client.get(reverse("rooms:list"))
    elapsed = time.monotonic() - started
    body = response.content.decode()
    assert response.status_code == 200 and elapsed < 1.8
    assert "remembered" in body
    assert "Telnyx did not answer within 1 s." in body and "Showing data from" in body


def test_the_overview_asks_telnyx_for_its_parts_at_once(admin_client, telnyx_sandbox, settings):
    settings.TELNYX_PAGE_BUDGET_SECS = 3.0
    telnyx_sandbox.set_faults(latency_ms=1000)
    started = time.monotonic()
    response = admin_client.get(reverse("overview"))
    elapsed = time.monotonic() - started
    body = response.content.decode()
    assert response.status_code == 200 and "Telnyx is not answering" not in body
    # live sessions and ended sessions (and the health check, on its own 1 s deadline): 2 s one after another
    assert telnyx_sandbox.request_count("GET /room_sessions") == 2
    assert elapsed < 1.8


def test_the_room_page_asks_telnyx_for_its_parts_at_once(admin_client, make_room, telnyx_sandbox, settings):
    settings.TELNYX_PAGE_BUDGET_SECS = 3.0
    room = make_room(unique_name="concurrent")
    telnyx_sandbox.clear_request_counts()
    telnyx_sandbox.set_faults(latency_ms=1000)
    started = time.monotonic()
    response = admin_client.get(reverse("rooms:detail", args=[room.id]))
    elapsed = time.monotonic() - started
    body = response.content.decode()
    assert response.status_code == 200 and "concurrent" in body and "Telnyx is not answering" not in body
    # room, its sessions, recordings and compositions: 4 s one after another
    assert telnyx_sandbox.request_count() == 4
    assert elapsed < 1.8


def test_a_missing_room_is_still_a_404_with_its_calls_at_once(admin_client, telnyx_sandbox):
    assert (
        admin_client.get(reverse("rooms:detail", args=["00000000-0000-0000-0000-000000000000"])).status_code
        == 404
    )


def test_an_open_breaker_lets_pages_answer_at_once(admin_client, make_room, telnyx_sandbox, budget):
    budget.TELNYX_BREAKER_FAILURES = 2
    make_room(unique_name="remembered")
    admin_client.get(reverse("rooms:list"))
    telnyx_sandbox.set_faults(**HANG)
    for _ in range(2):  # each waits out its budget: one failure each
        admin_client.get(reverse("rooms:list"))
    started = time.monotonic()
    body = admin_client.get(reverse("rooms:list")).content.decode()
    assert time.monotonic() - started < 0.5
    assert "remembered" in body and "the dashboard will try again in" in body
