"""A circuit breaker for the Telnyx API, shared by every process through a cache.

States (one cache entry holds them, so every gunicorn worker and Celery worker sees the same):

closed
    Calls go through. Failures are counted: a timeout, a connection error or a 5xx answer. Any
    other answer (2xx, and 4xx such as 404, 422 or 429: Telnyx did answer) resets the count. After
    ``failures`` failures within ``window`` seconds of the first of them the breaker opens.
open
    For ``cooloff`` seconds every call fails at once with ``CircuitOpenError`` ("Telnyx is not
    answering; the dashboard will try again in N s"), so pages answer from their last known data
    without waiting and nobody hammers an API that is down.
half-open
    After the cool-off, one caller (whichever claims it first, in any process) is let through as a
    probe; the others still fail at once. Its success closes the breaker; its failure opens it for
    another cool-off. A probe that never reports (its process died) frees the claim after
    ``cooloff`` seconds.

Background work respects the breaker too: a Celery task whose call is refused gets a retryable
``CircuitOpenError`` whose ``retry_after`` is the rest of the cool-off, so the task backs off until
the breaker would let a probe through, and the task may be that probe. Tasks are never kept from
closing the breaker, and a down API is asked once per cool-off rather than by every retry loop.

Counting is read-modify-write on the cache without a lock: two processes failing at the same moment
may count one failure instead of two. The breaker then opens one failure later, which is harmless;
the probe claim uses the cache's ``add`` so only one probe runs at a time.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from typing import Any, Protocol, TypedDict

from dashboard.telnyx.errors import CircuitOpenError

__all__ = ["BreakerStore", "CircuitBreaker"]


class BreakerStore(Protocol):
    """What the breaker needs of a shared cache (Django's cache API fits)."""

    def get(self, key: str, default: Any = None) -> Any: ...

    def set(self, key: str, value: Any, timeout: float | None = ...) -> Any: ...

    def add(self, key: str, value: Any, timeout: float | None = ...) -> bool: ...

    def delete(self, key: str) -> Any: ...


class _State(TypedDict):
    failures: int
    since: float  # when the first failure of this run was counted
    open_until: float | None


class CircuitBreaker:
    """One breaker per API base URL; see the module docstring."""

    def __init__(
        self,
        store: BreakerStore,
        *,
        name: str,
        failures: int = 5,
        window: float = 30.0,
        cooloff: float = 15.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if failures < 1:
            raise ValueError("failures must be 1 or more")
        self._store = store
        digest = hashlib.sha256(name.encode()).hexdigest()[:16]
        self._key = f"telnyx:breaker:{digest}"
        self._probe_key = f"telnyx:breaker:{digest}:probe"
        self.failures = failures
        self.window = float(window)
        self.cooloff = float(cooloff)
        self._clock = clock

    # -- used by the client around each attempt ---------------------------------------------------

    def before_call(self) -> bool:
        """Raise ``CircuitOpenError`` unless a call may go now; True when the breaker had counted
        failures or was open (so the outcome must be recorded either way)."""
        state: _State | None = self._store.get(self._key)
        if state is None:
            return False
        open_until = state["open_until"]
        if open_until is None:
            return True
        now = self._clock()
        if now < open_until:
            raise self._refusal(open_until - now)
        if self._store.add(self._probe_key, now, _ttl(self.cooloff)):
            return True  # this call is the half-open probe
        raise CircuitOpenError(
            "Telnyx is not answering; the dashboard is checking whether it is back.", retry_after=1.0
        )

    def record_success(self) -> None:
        """Telnyx answered: close the breaker and forget the failures."""
        self._store.delete(self._key)
        self._store.delete(self._probe_key)

    def record_failure(self) -> None:
        """Telnyx did not answer (timeout, connection error, 5xx): count it, and open when due."""
        now = self._clock()
        state: _State | None = self._store.get(self._key)
        if state is None or (state["open_until"] is None and now - state["since"] > self.window):
            state = {"failures": 0, "since": now, "open_until": None}
        state["failures"] += 1
        open_until = state["open_until"]
        if open_until is not None and now < open_until:
            return  # already open: a late answer to an older call does not extend the cool-off
        if open_until is not None or state["failures"] >= self.failures:
            # The threshold was reached, or the half-open probe (or a call racing it) failed.
            state["open_until"] = now + self.cooloff
            self._store.set(self._key, state, None)
            self._store.delete(self._probe_key)
        else:
            self._store.set(self._key, state, _ttl(self.window))

    # -- for pages and tests ------------------------------------------------------------------------

    def state(self) -> str:
        """ "closed", "open" or "half-open", as the next call would find it."""
        state: _State | None = self._store.get(self._key)
        if state is None or state["open_until"] is None:
            return "closed"
        return "open" if self._clock() < state["open_until"] else "half-open"

    @staticmethod
    def _refusal(wait: float) -> CircuitOpenError:
        seconds = max(1, math.ceil(wait))
        return CircuitOpenError(
            f"Telnyx is not answering; the dashboard will try again in {seconds} s.", retry_after=wait
        )


def _ttl(seconds: float) -> int:
    """A cache lifetime in whole seconds, rounded up: Redis keeps whole seconds, and Django's Redis
    backend truncates, so 0.5 would delete the entry at once. The state carries its own instants."""
    return max(1, math.ceil(seconds))
