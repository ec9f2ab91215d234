"""A budget shared by a piece of work's Telnyx calls; without one the client keeps its own limits."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from dashboard.telnyx import TelnyxClient, TelnyxTimeout
from dashboard.telnyx.deadline import current_budget, deadline, remaining


def test_a_hung_call_gives_up_when_the_budget_runs_out(
    make_client: Callable[..., TelnyxClient], sandbox: Any
) -> None:
    client = make_client(read_timeout=10.0, max_retries=3)
    sandbox.set_faults(timeout_rate=1.0, timeout_secs=1.5)
    started = time.monotonic()
    with deadline(0.8), pytest.raises(TelnyxTimeout) as caught:
        client.list_rooms()
    assert time.monotonic() - started < 1.3
    assert caught.value.message == "Telnyx did not answer within 0.8 s."
    sandbox.wait_for(lambda: sandbox.request_count("GET /rooms"), timeout=3)  # the held answer
    assert sandbox.request_count("GET /rooms") == 1  # no retry starts past the deadline


def test_calls_share_one_budget(make_client: Callable[..., TelnyxClient], sandbox: Any) -> None:
    client = make_client(read_timeout=10.0)
    sandbox.set_faults(latency_ms=400)
    with deadline(0.6):
        client.list_rooms()  # ~0.4 s of the 0.6 s
        with pytest.raises(TelnyxTimeout):
            client.list_rooms()  # ~0.2 s left: not enough


def test_no_retry_starts_when_its_backoff_would_pass_the_deadline(
    make_client: Callable[..., TelnyxClient], sandbox: Any
) -> None:
    client = make_client(max_retries=3, retry_max_wait=5.0)
    sandbox.set_faults(rate=1.0, statuses=[429], retry_after=2)
    started = time.monotonic()
    with deadline(1.0), pytest.raises(Exception) as caught:
        client.list_compositions()  # an operation no other test here leaves in flight
    assert time.monotonic() - started < 0.5  # it did not sleep 2 s into a page that must answer
    assert getattr(caught.value, "status", None) == 429
    assert sandbox.request_count("GET /room_compositions") == 1


def test_without_a_budget_the_client_keeps_its_own_timeouts_and_retries(
    make_client: Callable[..., TelnyxClient], sandbox: Any
) -> None:
    client = make_client(read_timeout=0.3, max_retries=2)
    sandbox.set_faults(timeout_rate=1.0, timeout_secs=0.6)
    assert current_budget() is None and remaining() is None
    with pytest.raises(TelnyxTimeout) as caught:
        client.list_sessions()
    assert caught.value.message == "Telnyx did not answer within 0.3 seconds."
    sandbox.wait_for(lambda: sandbox.request_count("GET /room_sessions") >= 3, timeout=3)
    assert sandbox.request_count("GET /room_sessions") == 3


def test_an_inner_deadline_never_extends_the_outer_one() -> None:
    with deadline(0.5) as outer, deadline(60) as inner:
        assert inner is outer and remaining() is not None and remaining() <= 0.5  # type: ignore[operator]
    with deadline(60), deadline(0.5) as inner:
        assert inner.seconds == 0.5
    assert current_budget() is None
