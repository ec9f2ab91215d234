"""A bulkhead: a cap, per process, on how many web requests may be waiting on Telnyx at once.

gunicorn serves each process's requests from a fixed set of threads (8). If every one of them waits
on a Telnyx that hangs, pages that need no Telnyx at all (the audit log, ``/healthz``) queue behind
them. The bulkhead keeps ``size`` of them (4 by default) for Telnyx and no more: a request-path call
that finds every slot taken does not queue, it fails at once with ``BulkheadFullError`` ("too many
requests are waiting on Telnyx"), and the page answers from its last known data.

A slot belongs to a request, not to a call: the concurrent reads of one page (each in its own
thread, sharing the request's budget, see ``dashboard.telnyx.deadline``) share its one slot. Work
without a budget (Celery tasks, commands) is not limited here: it runs in its own processes and
has no users waiting on a thread.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from dashboard.telnyx.deadline import Budget
from dashboard.telnyx.errors import BulkheadFullError

__all__ = ["Bulkhead"]


class Bulkhead:
    """At most ``size`` budgets (requests) with Telnyx calls in flight in this process."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("a bulkhead needs at least one slot")
        self.size = size
        self._lock = threading.Lock()
        self._calls: dict[int, int] = {}  # id(budget) -> its calls in flight

    @contextmanager
    def slot(self, budget: Budget) -> Iterator[None]:
        """Hold the request's slot for one call, or raise ``BulkheadFullError`` at once."""
        key = id(budget)  # the budget outlives its calls, so its id is not reused meanwhile
        with self._lock:
            if key not in self._calls and len(self._calls) >= self.size:
                raise BulkheadFullError(
                    "Too many requests are waiting on Telnyx right now; showing what the dashboard has."
                )
            self._calls[key] = self._calls.get(key, 0) + 1
        try:
            yield
        finally:
            with self._lock:
                left = self._calls[key] - 1
                if left:
                    self._calls[key] = left
                else:
                    del self._calls[key]

    @property
    def in_use(self) -> int:
        """Requests holding a slot now."""
        with self._lock:
            return len(self._calls)
