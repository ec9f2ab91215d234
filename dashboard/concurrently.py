"""Run a page's independent Telnyx reads at the same time, so it costs its slowest call, not the sum."""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.db import connections

__all__ = ["call_concurrently"]


def _in_thread(context: contextvars.Context, call: Callable[[], Any]) -> Any:
    try:
        return context.run(call)
    finally:
        # A worker thread that touched the database must not leave its connection open.
        connections.close_all()


def call_concurrently(*calls: Callable[[], Any]) -> list[Any]:
    """Run independent calls in threads and return their results in order.

    Each call runs in a copy of the caller's context, so the request's Telnyx budget
    (``dashboard.telnyx.deadline``) holds in the threads too. Every call runs to completion; then
    the first exception, in the order the calls were given, is raised, so the caller sees the same
    errors as if the calls had run one after another. A single call runs in the caller's thread.

    Meant for reads that go to Telnyx and the cache; a call that needs the request's database
    transaction belongs in the caller's thread.
    """
    if len(calls) <= 1:
        return [call() for call in calls]
    with ThreadPoolExecutor(max_workers=len(calls), thread_name_prefix="telnyx-read") as pool:
        futures = [pool.submit(_in_thread, contextvars.copy_context(), call) for call in calls]
    errors = [future.exception() for future in futures]
    for error in errors:
        if error is not None:
            raise error
    return [future.result() for future in futures]
