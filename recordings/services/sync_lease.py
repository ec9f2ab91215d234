"""The sync's lease (one sync at a time, freed soon after its holder dies) and its paced Telnyx calls.

The lease is a row (``SyncLease``) taken with a conditional UPDATE — free, or expired — so it is
atomic on SQLite and PostgreSQL alike, and shared by every process that shares the database. Its
holder renews it as it works (at most every ``RENEW_EVERY_SECS``, before each call); a holder that
is killed stops renewing, and ``LEASE_SECS`` later the next sync takes the lease over.

``PacedCalls`` gives the sync a retry budget by *time*, not by count: a temporary error (429, 5xx,
timeout, lost connection) is tried again with backoff, or after Telnyx's ``Retry-After``, until the
run's deadline. The client's own retries (a few, quickly) still run inside each call; this outer
loop is what lets a long walk ride out a bad minute instead of failing on the fourth 503 in a row.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from django.db.models import Q
from django.utils import timezone

from dashboard.errors import Refused
from dashboard.telnyx import TelnyxError
from recordings.models import SyncLease

logger = logging.getLogger(__name__)

LEASE_NAME = "recordings-sync"
# Longer than any one call can take with the client's own retries (read timeout 30 s plus waits).
LEASE_SECS = 120
RENEW_EVERY_SECS = 10
# How long one run keeps retrying temporary errors before it gives up (and records where it stopped).
RETRY_BUDGET_SECS = 900.0
MAX_BACKOFF_SECS = 30.0

T = TypeVar("T")


class SyncAlreadyRunning(Refused):
    """A sync was asked for while another one holds the lease; this one is skipped."""


class LeaseLost(Exception):
    """Another sync took the lease over (this one stalled past ``LEASE_SECS``): stop writing."""


class Lease:
    def __init__(self, name: str = LEASE_NAME, *, secs: float = LEASE_SECS) -> None:
        self.name = name
        self.secs = secs
        self.holder = uuid.uuid4().hex
        self._renewed = 0.0

    def acquire(self) -> bool:
        SyncLease.objects.get_or_create(name=self.name)
        now = timezone.now()
        taken = (
            SyncLease.objects.filter(name=self.name)
            .filter(Q(holder="") | Q(expires_at__isnull=True) | Q(expires_at__lt=now))
            .update(holder=self.holder, expires_at=now + timedelta(seconds=self.secs))
        )
        self._renewed = time.monotonic()
        return taken == 1

    def renew(self, *, force: bool = False) -> None:
        if not force and time.monotonic() - self._renewed < RENEW_EVERY_SECS:
            return
        expires = timezone.now() + timedelta(seconds=self.secs)
        if not SyncLease.objects.filter(name=self.name, holder=self.holder).update(expires_at=expires):
            raise LeaseLost("Another sync took over the lease; this one stopped.")
        self._renewed = time.monotonic()

    def release(self) -> None:
        SyncLease.objects.filter(name=self.name, holder=self.holder).update(holder="", expires_at=None)


class PacedCalls:
    """Runs client calls for one sync: counted, lease renewed, temporary errors retried until a deadline."""

    def __init__(
        self,
        lease: Lease | None,
        *,
        budget_secs: float = RETRY_BUDGET_SECS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.lease = lease
        self.deadline = time.monotonic() + budget_secs
        self.calls = 0
        self.retries = 0
        self._sleep = sleep

    def __call__(self, method: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        attempt = 0
        while True:
            if self.lease is not None:
                self.lease.renew()
            self.calls += 1
            try:
                return method(*args, **kwargs)
            except TelnyxError as exc:
                if not exc.retryable:
                    raise
                hint = getattr(exc, "retry_after", None)
                backoff = min(MAX_BACKOFF_SECS, 0.25 * 2**attempt) * (0.5 + random.random() / 2)  # noqa: S311
                wait = min(float(hint), MAX_BACKOFF_SECS) if hint is not None else backoff
                if time.monotonic() + wait > self.deadline:
                    raise
                logger.info("sync: %s; trying again in %.2fs", exc.message, wait)
                self.retries += 1
                attempt += 1
                self._sleep(wait)
