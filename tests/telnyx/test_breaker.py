"""The circuit breaker: shared through the cache, opened by failures, probing after the cool-off."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache

from dashboard.telnyx import CircuitOpenError, NotFoundError, ServerError, TelnyxClient
from dashboard.telnyx.breaker import CircuitBreaker


@pytest.fixture
def breaker(sandbox: Any) -> CircuitBreaker:
    return CircuitBreaker(cache, name=sandbox.base_url, failures=3, window=30, cooloff=0.5)


@pytest.fixture
def guarded(make_client: Callable[..., TelnyxClient], breaker: CircuitBreaker) -> TelnyxClient:
    return make_client(max_retries=0, breaker=breaker)


def test_opens_after_n_failures_and_then_answers_at_once(
    guarded: TelnyxClient, breaker: CircuitBreaker, sandbox: Any
) -> None:
    sandbox.set_faults(rate=1.0, statuses=[503])
    for _ in range(3):
        with pytest.raises(ServerError):
            guarded.list_rooms()
    assert breaker.state() == "open"
    started = time.monotonic()
    with pytest.raises(CircuitOpenError) as caught:
        guarded.list_rooms()
    assert time.monotonic() - started < 0.1
    assert caught.value.message == "Telnyx is not answering; the dashboard will try again in 1 s."
    assert caught.value.retryable and 0 < caught.value.retry_after <= 0.5  # type: ignore[operator]
    assert sandbox.request_count("GET /rooms") == 3  # the refused call never reached Telnyx


def test_another_process_sees_the_same_breaker(
    guarded: TelnyxClient, sandbox: Any, make_client: Callable[..., TelnyxClient]
) -> None:
    sandbox.set_faults(rate=1.0, statuses=[500])
    for _ in range(3):
        with pytest.raises(ServerError):
            guarded.list_rooms()
    other = make_client(max_retries=0, breaker=CircuitBreaker(cache, name=sandbox.base_url, failures=3))
    with pytest.raises(CircuitOpenError):
        other.list_rooms()


def test_half_opens_after_the_cool_off_and_one_probe_decides(
    guarded: TelnyxClient, breaker: CircuitBreaker, sandbox: Any
) -> None:
    sandbox.set_faults(rate=1.0, statuses=[503])
    for _ in range(3):
        with pytest.raises(ServerError):
            guarded.list_rooms()
    time.sleep(0.6)
    assert breaker.state() == "half-open"
    with pytest.raises(ServerError):
        guarded.list_rooms()  # the probe goes through, fails: open again
    assert breaker.state() == "open"
    assert sandbox.request_count("GET /rooms") == 4
    time.sleep(0.6)
    sandbox.clear_faults()
    assert guarded.list_rooms().items == []  # the probe succeeds: closed
    assert breaker.state() == "closed"
    assert guarded.list_rooms().items == []


def test_only_one_probe_at_a_time(guarded: TelnyxClient, breaker: CircuitBreaker, sandbox: Any) -> None:
    sandbox.set_faults(rate=1.0, statuses=[503])
    for _ in range(3):
        with pytest.raises(ServerError):
            guarded.list_rooms()
    time.sleep(0.6)
    assert breaker.before_call() is True  # someone claimed the probe and has not reported yet
    with pytest.raises(CircuitOpenError, match="checking whether it is back"):
        guarded.list_rooms()


def test_4xx_answers_are_not_failures(guarded: TelnyxClient, breaker: CircuitBreaker, sandbox: Any) -> None:
    sandbox.set_faults(rate=1.0, statuses=[503])
    for _ in range(2):
        with pytest.raises(ServerError):
            guarded.list_rooms()
    sandbox.clear_faults()
    for _ in range(5):
        with pytest.raises(NotFoundError):
            guarded.get_room("00000000-0000-0000-0000-000000000000")
    assert breaker.state() == "closed"
    sandbox.set_faults(rate=1.0, statuses=[503])
    for _ in range(2):  # the 404 reset the count: two more failures do not open it
        with pytest.raises(ServerError):
            guarded.list_rooms()
    assert breaker.state() == "closed"


def test_timeouts_are_failures(
    make_client: Callable[..., TelnyxClient], breaker: CircuitBreaker, sandbox: Any
) -> None:
    client = make_client(max_retries=5, read_timeout=0.2, breaker=breaker)
    sandbox.set_faults(timeout_rate=1.0, timeout_secs=0.5)
    with pytest.raises(CircuitOpenError):
        client.list_sessions()  # three timed-out attempts open it; the retries stop there
    assert breaker.state() == "open"
    sandbox.wait_for(lambda: sandbox.request_count("GET /room_sessions") >= 3, timeout=3)
    assert sandbox.request_count("GET /room_sessions") == 3
