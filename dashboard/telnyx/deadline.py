"""A time budget shared by every Telnyx call made for one piece of work (a web request, a task).

    with deadline(3):                      # the budget middleware does this for each web request
        rooms = client.list_rooms()        # each attempt's timeout is capped by the time left,
        room = client.get_room(rooms[0])   # and no retry starts once it is used up

Contract
    Inside ``deadline(seconds)`` every call of ``TelnyxClient`` caps each attempt's connect, read,
    write and pool timeouts at the time left, never sleeps a retry backoff that would end past the
    deadline (it gives up at once instead), and raises ``TelnyxTimeout`` ("Telnyx did not answer
    within 3 s.") when the time is up before or during an attempt. Services turn that into
    ``Unavailable`` like any timeout, so pages answer from the last known data.

    Outside any ``deadline`` (Celery tasks, management commands, scripts) the client keeps its own
    per-call timeouts and retries: the budget applies only where someone set one.

    Nesting never extends a budget: an inner ``deadline`` ends at the earlier of its own end and
    the outer one's, so a helper cannot give itself more time than the request it serves.

    The deadline lives in a ``contextvars.ContextVar``; threads do not inherit it by themselves, so
    independent calls of one page run through ``dashboard.concurrently.call_concurrently``, which
    copies the caller's context into each worker thread (``contextvars.copy_context().run``).

Trade-off
    httpx's read timeout bounds each wait for bytes, not the whole body: a server trickling a byte
    at a time could overrun the budget. Telnyx's API answers are small JSON documents, so the cap
    per wait is the one that matters in practice (a hung or refused connection).
"""

from __future__ import annotations

import contextvars
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

__all__ = ["Budget", "current_budget", "deadline", "remaining"]


@dataclass(frozen=True, slots=True)
class Budget:
    """``seconds`` granted, ending at ``expires_at`` (``time.monotonic()`` clock)."""

    seconds: float
    expires_at: float

    def remaining(self) -> float:
        return max(0.0, self.expires_at - time.monotonic())

    def describe(self) -> str:
        """The budget as a user reads it: "3 s", "1.5 s"."""
        return f"{self.seconds:g} s" if self.seconds < 10 else f"{math.ceil(self.seconds)} s"


_current: contextvars.ContextVar[Budget | None] = contextvars.ContextVar("telnyx_deadline", default=None)


@contextmanager
def deadline(seconds: float) -> Iterator[Budget]:
    """Give the Telnyx calls made inside the block ``seconds`` in all (see the module docstring)."""
    if seconds <= 0:
        raise ValueError("a Telnyx budget must be more than 0 seconds")
    wanted = Budget(seconds=float(seconds), expires_at=time.monotonic() + seconds)
    outer = _current.get()
    budget = outer if outer is not None and outer.expires_at <= wanted.expires_at else wanted
    token = _current.set(budget)
    try:
        yield budget
    finally:
        _current.reset(token)


def current_budget() -> Budget | None:
    """The budget in force for this context, or None (no limit beyond the client's own)."""
    return _current.get()


def remaining() -> float | None:
    """Seconds left in the current budget (0 when spent), or None when no budget is set."""
    budget = _current.get()
    return None if budget is None else budget.remaining()
