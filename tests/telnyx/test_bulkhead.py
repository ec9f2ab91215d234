"""The bulkhead: a few requests per process may wait on Telnyx; the next one is refused at once."""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from dashboard.telnyx import BulkheadFullError, TelnyxClient, TelnyxTimeout
from dashboard.telnyx.bulkhead import Bulkhead
from dashboard.telnyx.deadline import deadline


def _waiting_requests(client: TelnyxClient, count: int) -> list[threading.Thread]:
    """``count`` requests, each with its own budget, waiting on a Telnyx that hangs."""

    def request() -> None:
        with deadline(1.5), pytest.raises(TelnyxTimeout):
            client.list_rooms()

    threads = [threading.Thread(target=request) for _ in range(count)]
    for thread in threads:
        thread.start()
    deadline_at = time.monotonic() + 2
    while client.bulkhead is not None and client.bulkhead.in_use < count and time.monotonic() < deadline_at:
        time.sleep(0.01)
    return threads


def test_the_call_past_the_cap_is_refused_at_once(
    make_client: Callable[..., TelnyxClient], sandbox: Any
) -> None:
    client = make_client(bulkhead=Bulkhead(2), max_retries=0)
    sandbox.set_faults(timeout_rate=1.0, timeout_secs=2.0)
    waiting = _waiting_requests(client, 2)
    assert client.bulkhead is not None and client.bulkhead.in_use == 2
    started = time.monotonic()
    with deadline(1.5), pytest.raises(BulkheadFullError) as caught:
        client.list_rooms()
    assert time.monotonic() - started < 0.1
    assert "Too many requests are waiting on Telnyx" in caught.value.message and caught.value.retryable
    for thread in waiting:
        thread.join(5)
    assert client.bulkhead.in_use == 0
    sandbox.clear_faults()
    with deadline(1.5):
        assert client.list_rooms().items == []  # slots are given back


def test_one_requests_concurrent_calls_share_its_slot(
    make_client: Callable[..., TelnyxClient], sandbox: Any
) -> None:
    client = make_client(bulkhead=Bulkhead(1), max_retries=0)
    sandbox.set_faults(latency_ms=300)
    errors: list[BaseException] = []

    def read() -> None:
        try:
            client.list_rooms()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    with deadline(2.0):
        threads = [threading.Thread(target=contextvars.copy_context().run, args=(read,)) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(5)
    assert errors == []


def test_work_without_a_budget_is_not_limited(make_client: Callable[..., TelnyxClient], sandbox: Any) -> None:
    client = make_client(bulkhead=Bulkhead(1), max_retries=0, read_timeout=0.5)
    sandbox.set_faults(timeout_rate=1.0, timeout_secs=2.0)
    waiting = _waiting_requests(client, 1)
    with pytest.raises(TelnyxTimeout):  # a task waits its own timeout; it is not refused
        client.list_sessions()
    for thread in waiting:
        thread.join(5)
