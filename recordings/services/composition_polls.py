"""Polling compositions until they are final, for when no webhook says so (or it is lost).

One periodic sweep (beat, every ``COMPOSITION_POLL_SECS``) checks the compositions in flight
whose next check is due; each one's checks follow ``poll_interval``. A few due compositions are fetched
one by one; from ``LIST_FROM`` on, the sweep lists the enqueued and the processing compositions instead
(one call per 250), which checks every composition in flight at once, and fetches only those missing
from both lists: they completed, or were deleted. So the calls of a sweep do not grow with the number of
compositions in flight: with many, each costs its share of the lists and one fetch when it completes;
alone, it costs one call per check, as many as the schedule allows before its deadline.

A completion seen through a webhook (``webhooks.media``) makes the row final, and the sweep never
checks it again. One sweep runs at a time (a lease); a temporary error (429, 5xx, timeout) ends the
sweep and the compositions it had not checked wait for Telnyx's ``Retry-After`` or
``TEMPORARY_ERROR_WAIT_SECS``; a permanent one is recorded on the composition, which is checked again
only after ``PERMANENT_ERROR_WAIT_SECS`` (a refused key may be replaced meanwhile).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, QuerySet
from django.utils import timezone

from dashboard.celery import enqueue
from dashboard.errors import NotFound, UserError, telnyx_call
from dashboard.telnyx import RoomComposition, get_client
from recordings.models import Composition
from recordings.services.sync_lease import Lease, LeaseLost
from recordings.services.sync_rows import upsert_compositions

logger = logging.getLogger(__name__)

#: Checks double from 1 s up to this cap, so a completion is seen within about this long (plus the
#: sweep's period and the worker's latency) while it is likely: most compositions finish in minutes.
FAST_POLL_CAP_SECS = 15.0
#: How long after the request the fast cap holds; after it, one check every ``SLOW_POLL_SECS`` until
#: the deadline: still within the 30 s a completion may take to show, with fewer calls.
FAST_PHASE_SECS = 1800.0
SLOW_POLL_SECS = 20.0

#: From this many due compositions on, listing the ones in flight costs no more calls than fetching each.
LIST_FROM = 3
#: Statuses of a composition in flight; a composition missing from the lists of both is fetched.
IN_FLIGHT_STATUSES = (Composition.Status.ENQUEUED, Composition.Status.PROCESSING)
#: A check due this soon counts as due now: the sweep's own period is not exact.
DUE_SLACK_SECS = 1.0
#: Compositions considered by one sweep, the most overdue first.
SWEEP_LIMIT = 1000
TEMPORARY_ERROR_WAIT_SECS = 30.0
PERMANENT_ERROR_WAIT_SECS = 300.0

LEASE_NAME = "composition-polls"
# Longer than a sweep's calls can take between two renewals (the client's timeouts and retries).
LEASE_SECS = 120


def poll_interval(attempt: int, *, elapsed_secs: float = 0.0) -> float:
    """Seconds before check number ``attempt + 1``, ``elapsed_secs`` after the composition was asked
    for: 1, 2, 4, 8, then every 15 s for the first half hour, then every 20 s. To the default
    two-hour deadline that is at most about 400 checks of a composition alone in flight; with
    others in flight, lists share them. (The sweep's period rounds each up to its next run.)"""
    if elapsed_secs >= FAST_PHASE_SECS:
        return SLOW_POLL_SECS
    return min(2.0 ** min(attempt, 10), FAST_POLL_CAP_SECS)


def in_flight() -> QuerySet[Composition]:
    """Compositions polling may still change: not completed, not stalled, not deleted upstream."""
    return Composition.objects.filter(gone_upstream=False, stalled_at__isnull=True).exclude(
        status=Composition.Status.COMPLETED
    )


def poll_compositions() -> int:
    """Run one sweep: check the compositions in flight that are due (and, when listing, every one in
    flight); returns how many were checked. No Telnyx call when none is due."""
    now = timezone.now()
    flying = list(
        in_flight()
        .order_by(F("next_poll_at").asc(nulls_first=True), "pk")
        .only("telnyx_id", "status", "poll_attempts", "next_poll_at", "poll_deadline_at", "first_seen_at")[
            :SWEEP_LIMIT
        ]
    )
    soon = now + timedelta(seconds=DUE_SLACK_SECS)
    due = [c for c in flying if c.next_poll_at is None or c.next_poll_at <= soon]
    if not due:
        return 0
    lease = Lease(LEASE_NAME, secs=LEASE_SECS)
    if not lease.acquire():
        return 0  # another sweep is at work
    listing = len(due) >= LIST_FROM
    sweep = Sweep(lease, now)
    try:
        sweep.check(flying if listing else due, listing=listing)
    except LeaseLost:
        logger.warning("composition sweep stalled past its lease; another sweep took over")
    finally:
        lease.release()
    return sweep.checked


class Sweep:
    """One sweep's checks, written as they are made (a sweep killed midway leaves the rest due)."""

    def __init__(self, lease: Lease, now: datetime) -> None:
        self.lease = lease
        self.now = now
        self.checked = 0

    def check(self, compositions: list[Composition], *, listing: bool) -> None:
        left = {c.telnyx_id: c for c in compositions}
        try:
            if listing:
                listed = self._listed(set(left))
                upsert_compositions(list(listed.values()), now=self.now)
                for telnyx_id in list(left):
                    if telnyx_id in listed:
                        self._record(left.pop(telnyx_id), listed[telnyx_id])
            for telnyx_id in list(left):
                self._fetch(left[telnyx_id])
                del left[telnyx_id]
        except UserError as exc:
            if not exc.temporary:  # a list refused: every composition it was for is told why
                self._refused(left.values(), exc)
                return
            wait = max(getattr(exc, "retry_after", None) or 0.0, TEMPORARY_ERROR_WAIT_SECS)
            logger.info("composition sweep: %s; the rest wait %.0f s", exc.message, wait)
            Composition.objects.filter(pk__in=[c.pk for c in left.values()]).update(
                next_poll_at=self.now + timedelta(seconds=wait)
            )

    def _listed(self, wanted: set[str]) -> dict[str, RoomComposition]:
        """The compositions in flight by Telnyx's lists, among ``wanted``."""
        found: dict[str, RoomComposition] = {}
        for status in IN_FLIGHT_STATUSES:
            self.lease.renew()
            with telnyx_call("list the compositions in progress"):
                for item in get_client().iter_compositions(status=status):
                    if item.id in wanted:
                        found[item.id] = item
        return found

    def _fetch(self, composition: Composition) -> None:
        """Fetch one composition (a temporary error propagates: it ends the sweep)."""
        self.lease.renew()
        try:
            with telnyx_call("check the composition's progress"):
                remote = get_client().get_composition(composition.telnyx_id)
        except NotFound:
            Composition.objects.filter(pk=composition.pk).update(
                gone_upstream=True, gone_upstream_at=self.now, next_poll_at=None
            )
            self.checked += 1
            return
        except UserError as exc:
            if exc.temporary:
                raise
            self._refused([composition], exc)
            return
        upsert_compositions([remote], now=self.now)
        self._record(composition, remote)

    def _record(self, composition: Composition, remote: RoomComposition) -> None:
        """What a check found, on the row: completed, stalled past its deadline, or its next check."""
        self.checked += 1
        now, attempts = self.now, composition.poll_attempts + 1
        rows = Composition.objects.filter(pk=composition.pk)
        if remote.status == Composition.Status.COMPLETED:
            rows.update(poll_attempts=attempts, next_poll_at=None, last_error="")
            if settings.RECORDINGS_ARCHIVE:
                enqueue("recordings.tasks.archive_composition", composition.pk)
        elif composition.poll_deadline_at and now >= composition.poll_deadline_at:
            rows.update(poll_attempts=attempts, stalled_at=now, next_poll_at=None)
            logger.warning(
                "composition %s stalled: still %s after its deadline", composition.telnyx_id, remote.status
            )
        else:
            elapsed = (now - composition.first_seen_at).total_seconds()
            delay = poll_interval(attempts, elapsed_secs=elapsed)
            rows.update(poll_attempts=attempts, next_poll_at=now + timedelta(seconds=delay), last_error="")

    def _refused(self, compositions: Iterable[Composition], exc: UserError) -> None:
        """A permanent error: recorded on each composition, checked again much later."""
        Composition.objects.filter(pk__in=[c.pk for c in compositions]).update(
            last_error=exc.message, next_poll_at=self.now + timedelta(seconds=PERMANENT_ERROR_WAIT_SECS)
        )
