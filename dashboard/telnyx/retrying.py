"""The retry policy: the one place that decides whether and when a Telnyx call is tried again.

What is retried
    Connection errors, timeouts, 429 and 5xx, with exponential backoff and full jitter
    (``random(0, min(cap, initial * 2**n))``), or after the ``Retry-After`` the server asked for
    (``retry-after-ms``, then ``Retry-After`` in seconds or as an HTTP date; the SDKs' order), both
    capped by ``retry_max_wait``; at most ``max_retries`` retries after the first attempt.

Which calls
    Idempotent calls (reads, deletes, the PATCH update, the session actions mute / unmute / kick /
    end, which are idempotent in effect) are retried on all of the above.

    Creates (room, composition, join token) are retried only when Telnyx cannot have acted on the
    request: a 429 (rate limited means not processed), or a failure to connect / a connect timeout /
    a pool timeout (the request never left this process). They are *not* retried after a read
    timeout, a connection that broke after sending, or a 5xx (a gateway 502/504 may come after the
    room was made): a duplicate room or composition is worse than an error. Those end in
    ``NotRetriedError``, whose message tells the user to look before trying again.

Within a budget
    Under ``dashboard.telnyx.deadline.deadline`` (a web request) no retry starts once the budget
    would be spent by its wait: the policy gives up at once with the last error rather than sleep
    into a page that must already answer. Outside a budget (tasks) only ``max_retries`` stops it.
"""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TypeVar

import tenacity
from tenacity import RetryCallState

from dashboard.telnyx.deadline import remaining
from dashboard.telnyx.errors import (
    RateLimitedError,
    ServerError,
    TelnyxConnectionError,
    TelnyxError,
    TelnyxTimeout,
)

__all__ = ["RetryPolicy", "parse_retry_after", "should_retry"]

logger = logging.getLogger("dashboard.telnyx")

T = TypeVar("T")


def parse_retry_after(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds to wait as the response asks: ``retry-after-ms``, then ``retry-after`` (secs or HTTP date).

    For a 429 without either, ``x-ratelimit-reset`` (seconds until the window resets) is the fallback.
    Returns None when no header gives a usable, non-negative wait.
    """
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            value = float(raw_ms) / 1000
            if value >= 0:
                return value
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if raw:
        raw = raw.strip()
        try:
            value = float(raw)
            if value >= 0:
                return value
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(raw)
            except (TypeError, ValueError):
                when = None
            if when is not None:
                if when.tzinfo is None:
                    when = when.replace(tzinfo=UTC)
                current = now if now is not None else time.time()
                return max(0.0, when.timestamp() - current)
    reset = headers.get("x-ratelimit-reset")
    if reset:
        try:
            value = float(reset)
        except ValueError:
            return None
        # Some APIs send an epoch timestamp here rather than a number of seconds.
        if value > 10**9:
            value -= now if now is not None else datetime.now(UTC).timestamp()
        if value >= 0:
            return value
    return None


def should_retry(exc: BaseException, *, idempotent: bool) -> bool:
    """Whether ``exc`` from one attempt justifies another (see the module docstring)."""
    if isinstance(exc, RateLimitedError):
        return True
    if isinstance(exc, ServerError):
        return idempotent
    if isinstance(exc, TelnyxTimeout | TelnyxConnectionError):
        return idempotent or not exc.request_sent
    return False


class _WaitRetryAfterOrBackoff(tenacity.wait.wait_base):
    """The server's ``Retry-After`` when it sent one, else exponential backoff with full jitter; capped."""

    def __init__(self, *, initial: float, cap: float) -> None:
        self.cap = cap
        self.backoff = tenacity.wait_random_exponential(multiplier=initial, max=cap)

    def __call__(self, retry_state: RetryCallState) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            return min(max(float(retry_after), 0.0), self.cap)
        return float(self.backoff(retry_state))


#: A retry that would start with less than this left of the budget is not worth starting.
MIN_USEFUL_ATTEMPT_SECS = 0.05


class _BudgetSpent(tenacity.stop.stop_base):
    """Stop when the coming backoff would leave the request's budget (if any) with no time to try."""

    def __call__(self, retry_state: RetryCallState) -> bool:
        left = remaining()
        if left is None:
            return False
        return left - (retry_state.upcoming_sleep or 0.0) < MIN_USEFUL_ATTEMPT_SECS


class RetryPolicy:
    """Runs one call with tenacity according to the rules above."""

    def __init__(
        self,
        *,
        max_retries: int,
        max_wait: float,
        initial_backoff: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_retries < 0:
            raise ValueError("max_retries must be 0 or more")
        self.max_retries = max_retries
        self.max_wait = max(0.0, max_wait)
        self.initial_backoff = initial_backoff
        self._sleep = sleep

    def call(self, attempt: Callable[[int], T], *, idempotent: bool, what: str) -> T:
        """Run ``attempt(attempt_number)`` until it returns or fails for good; re-raise its last error."""

        def before_sleep(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            wait = state.next_action.sleep if state.next_action else 0.0
            logger.info(
                "telnyx %s failed on attempt %d (%s); retrying in %.2fs",
                what,
                state.attempt_number,
                exc.message if isinstance(exc, TelnyxError) else type(exc).__name__,
                wait,
            )

        retrying = tenacity.Retrying(
            stop=tenacity.stop_any(tenacity.stop_after_attempt(self.max_retries + 1), _BudgetSpent()),
            wait=_WaitRetryAfterOrBackoff(initial=self.initial_backoff, cap=self.max_wait),
            retry=tenacity.retry_if_exception(lambda exc: should_retry(exc, idempotent=idempotent)),
            before_sleep=before_sleep,
            sleep=self._sleep,
            reraise=True,
        )
        attempts = 0

        def one_attempt() -> T:
            nonlocal attempts
            attempts += 1
            return attempt(attempts)

        return retrying(one_attempt)
