"""Sync: bring the local recordings and compositions up to date with Telnyx, exactly and cheaply.

Every run is a ``SyncRun`` (what a page shows) and holds the sync lease while it works
(``sync_lease``): one sync at a time, and a killed one frees the lease within ``LEASE_SECS``; the
next run closes it as *abandoned*. Rows are written only when they changed (``sync_rows``).

Full sync (daily, or the first ever): walks every page of ``/room_recordings`` (250 a page),
storing after each page the page number (``cursor_page``) and the ids it listed (``SyncWalkPage``),
so a walk cut short — killed, or out of retry budget — is resumed from its last completed page by
the next sync, full or incremental. Then it marks gone upstream what the walk did not see, but only
after confirming each one: see ``_confirm_gone`` for why that is exact.

Incremental sync: Telnyx lists recordings newest-created first, and a recording is created when
its session ends, so what appeared since the last sync is at the top: it reads pages until one
reaches below the last run's high-water mark (the newest ``created_at`` it listed, less
``WATERMARK_MARGIN``), plus the recordings still processing (their status and link change). With
nothing new that is one page of recordings, one of processing ones, and three of compositions.
Should a page come back out of that order, it keeps walking (never stops early on a guess).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from dashboard.celery import enqueue
from dashboard.errors import Refused, UserError, telnyx_call
from dashboard.telnyx import NotFoundError, Page, TelnyxClient, get_client
from governance import triggers
from recordings.models import Composition, Recording, SyncRun, SyncWalkPage
from recordings.services import archive
from recordings.services.sync_lease import (
    RETRY_BUDGET_SECS,
    Lease,
    LeaseLost,
    PacedCalls,
    SyncAlreadyRunning,
)
from recordings.services.sync_rows import (
    NameBook,
    RecordingRows,
    UpsertCounts,
    plan_recordings,
    upsert_compositions,
    upsert_recordings,
    write_recordings,
)

__all__ = [
    "SyncAlreadyRunning",
    "last_sync_run",
    "queue_sync",
    "request_sync",
    "scheduled_sync",
    "sync_lease",
    "sync_recordings",
    "upsert_compositions",
    "upsert_recordings",
]

logger = logging.getLogger(__name__)

PAGE_SIZE = 250
# Recordings created this long before the last high-water mark are listed again: room for clocks
# and for a recording that shows up in the list a little after the time it carries.
WATERMARK_MARGIN = timedelta(minutes=10)
GONE_BATCH = 500
# What a walk saves with each page it stored (in the same transaction): where to resume, and the figures.
WALK_FIELDS = ["cursor_page", "seen", "created", "updated", "rows_written", "high_water"]
QUEUED_KEY = "recordings:sync-queued"
QUEUED_SECS = 600
REQUEST_KEY = "recordings:sync-request:{user}"
REQUEST_EVERY_SECS = 60


def last_sync_run() -> SyncRun | None:
    """The latest sync that ran (skipped ones left out)."""
    return SyncRun.objects.exclude(outcome=SyncRun.Outcome.SKIPPED).order_by("-started_at", "-id").first()


class _Sync:
    """One run: its record, its paced calls, its name book."""

    def __init__(self, run: SyncRun, calls: PacedCalls, client: TelnyxClient) -> None:
        self.run = run
        self.call = calls
        self.client = client
        self.names = NameBook(client, calls)
        self.now = timezone.now()

    def pages(
        self, lister: Callable[..., Page[Any]], *, first: int = 1, **filters: Any
    ) -> Iterator[Page[Any]]:
        number = first
        while True:
            page = self.call(lister, page=number, page_size=PAGE_SIZE, **filters)
            yield page
            if not page.items or page.meta.page_number >= page.meta.total_pages:
                return
            number += 1

    def plan(self, items: list[Any]) -> RecordingRows:
        """Compare a page with the stored rows and resolve new rows' names: reads and calls only."""
        return plan_recordings(items, now=self.now, names=self.names)

    def count(self, items: list[Any], plan: RecordingRows) -> None:
        counts = plan.counts
        self.run.seen += len(items)
        self.run.created += counts.created
        self.run.updated += counts.updated
        self.run.rows_written += counts.written
        newest = max((i.created_at for i in items if i.created_at), default=None)
        if newest and (self.run.high_water is None or newest > self.run.high_water):
            self.run.high_water = newest

    def write(self, items: list[Any]) -> UpsertCounts:
        plan = self.plan(items)
        self.count(items, plan)
        if plan.rows:
            with transaction.atomic():
                write_recordings(plan)
        return plan.counts

    def mark_gone(self, model: type[Recording] | type[Composition], ids: list[str]) -> int:
        gone = 0
        for start in range(0, len(ids), GONE_BATCH):
            chunk = ids[start : start + GONE_BATCH]
            gone += model.objects.filter(telnyx_id__in=chunk, gone_upstream=False).update(
                gone_upstream=True, gone_upstream_at=timezone.now()
            )
        self.run.rows_written += gone
        return gone

    # --- full walk --------------------------------------------------------------------------

    def full_walk(self) -> None:
        run = self.run
        for page in self.pages(self.client.list_recordings, first=run.cursor_page + 1):
            self.store_walk_page(page.items, self.plan(page.items), page.meta.page_number)
        seen: set[str] = set()
        for ids in SyncWalkPage.objects.filter(walk_id=run.walk_id).values_list("ids", flat=True):
            seen.update(ids.split())
        local = Recording.objects.filter(gone_upstream=False).values_list("telnyx_id", "session_id")
        candidates = [(telnyx_id, session) for telnyx_id, session in local if telnyx_id not in seen]
        run.gone += self._confirm_gone(candidates)
        SyncWalkPage.objects.filter(walk_id=run.walk_id).delete()
        self.compositions(full=True)

    def store_walk_page(self, items: list[Any], plan: RecordingRows, number: int) -> None:
        """Write a page the walk read, the ids it listed and where to resume, in one transaction
        (one commit a page: a walk cut short resumes after its last stored page)."""
        run = self.run
        self.count(items, plan)
        with transaction.atomic():
            write_recordings(plan)
            SyncWalkPage.objects.filter(walk_id=run.walk_id, number=number).delete()
            SyncWalkPage.objects.create(walk_id=run.walk_id, number=number, ids=" ".join(i.id for i in items))
            run.cursor_page = number
            run.save(update_fields=WALK_FIELDS)

    def _confirm_gone(self, candidates: list[tuple[str, str]]) -> int:
        """Mark gone the candidates Telnyx confirms it no longer holds; refresh the others.

        A walk by page number over a list that shrinks under it skips records (each delete moves
        the rest up one place), so "not seen by the walk" only makes a record a *candidate*. It is
        marked gone only on Telnyx's own word about that record now: absent from one complete,
        single-page listing of its session (one response is one snapshot, and a session's
        recordings fit in a page), or a 404 for its id. Nothing that still exists can be in
        either answer's "absent" set, so nothing that still exists is marked gone. The cost is
        one call per session among the candidates (one per id for the few with no session).
        """
        by_session: dict[str, list[str]] = {}
        for telnyx_id, session_id in candidates:
            by_session.setdefault(session_id, []).append(telnyx_id)
        gone: list[str] = []
        for session_id, ids in by_session.items():
            unsettled = ids
            if session_id:
                page = self.call(
                    self.client.list_recordings, page=1, page_size=PAGE_SIZE, session_id=session_id
                )
                if page.meta.total_pages <= 1 and len(page.items) == page.meta.total_results:
                    listed = {item.id for item in page.items}
                    wanted = set(ids)
                    self.write([item for item in page.items if item.id in wanted])
                    gone += [telnyx_id for telnyx_id in ids if telnyx_id not in listed]
                    unsettled = []
            for telnyx_id in unsettled:
                try:
                    self.write([self.call(self.client.get_recording, telnyx_id)])
                except NotFoundError:
                    gone.append(telnyx_id)
        return self.mark_gone(Recording, gone)

    # --- incremental ------------------------------------------------------------------------

    def incremental(self, since: date | None, watermark: datetime | None) -> None:
        filters: dict[str, Any] = {"date_started_at__gte": since} if since else {}
        floor = watermark - WATERMARK_MARGIN if watermark and not since else None
        for page in self.pages(self.client.list_recordings, **filters):
            self.write(page.items)
            if floor is not None and _newest_first(page.items) and page.items[-1].created_at < floor:
                break
        self.processing()
        self.compositions(full=False, floor=floor)

    def processing(self) -> None:
        """Recordings still processing: list them (their status and link change), and fetch by id
        the local ones no longer listed as processing (completed, or deleted: a 404)."""
        listed: set[str] = set()
        for page in self.pages(self.client.list_recordings, status=Recording.Status.PROCESSING):
            self.write(page.items)
            listed.update(item.id for item in page.items)
        stale = Recording.objects.filter(gone_upstream=False, status=Recording.Status.PROCESSING).exclude(
            telnyx_id__in=listed
        )
        for telnyx_id in stale.values_list("telnyx_id", flat=True):
            try:
                self.write([self.call(self.client.get_recording, telnyx_id)])
            except NotFoundError:
                self.run.gone += self.mark_gone(Recording, [telnyx_id])

    def compositions(self, *, full: bool, floor: datetime | None = None) -> None:
        seen: set[str] = set()
        for page in self.pages(self.client.list_compositions):
            counts = upsert_compositions(page.items, now=self.now)
            self.run.rows_written += counts.written
            self.run.compositions_seen += len(page.items)
            seen.update(counts.ids)
            if (
                not full
                and floor is not None
                and _newest_first(page.items)
                and page.items[-1].created_at < floor
            ):
                break
        if not full:
            for status in (Composition.Status.ENQUEUED, Composition.Status.PROCESSING):
                for page in self.pages(self.client.list_compositions, status=status):
                    self.run.rows_written += upsert_compositions(page.items, now=self.now).written
            return
        gone = []
        for telnyx_id in (
            Composition.objects.filter(gone_upstream=False)
            .exclude(telnyx_id__in=seen)
            .values_list("telnyx_id", flat=True)
        ):
            try:  # confirmed one by one, like recordings: the walk may have skipped it
                self.run.rows_written += upsert_compositions(
                    [self.call(self.client.get_composition, telnyx_id)], now=self.now
                ).written
            except NotFoundError:
                gone.append(telnyx_id)
        self.mark_gone(Composition, gone)


def _newest_first(items: list[Any]) -> bool:
    """Whether the page came newest-created first, as the early stop assumes."""
    times = [item.created_at for item in items]
    return bool(times) and None not in times and all(a >= b for a, b in zip(times, times[1:], strict=False))


def _close_abandoned(holder: str) -> None:
    """Runs still marked running when this one took the lease had a holder that died (no live run
    lets the lease lapse): say so."""
    for run in SyncRun.objects.filter(outcome=SyncRun.Outcome.RUNNING).exclude(holder=holder):
        run.outcome = SyncRun.Outcome.ABANDONED
        run.finished_at = timezone.now()
        where = f" after page {run.cursor_page}" if run.cursor_page else ""
        run.error = f"Its worker stopped{where} without finishing (killed or lost); the next sync takes over."
        run.save(update_fields=["outcome", "finished_at", "error"])


def _unfinished_walk() -> SyncRun | None:
    """The latest full walk if it did not finish (failed or abandoned midway)."""
    latest = (
        SyncRun.objects.filter(kind=SyncRun.Kind.FULL)
        .exclude(walk_id="")
        .order_by("-started_at", "-id")
        .first()
    )
    if latest is None or latest.outcome in (SyncRun.Outcome.SUCCEEDED, SyncRun.Outcome.RUNNING):
        return None
    return latest


def _watermark() -> datetime | None:
    last = (
        SyncRun.objects.filter(outcome=SyncRun.Outcome.SUCCEEDED, high_water__isnull=False)
        .order_by("-started_at", "-id")
        .first()
    )
    if last is not None:
        return last.high_water
    newest: datetime | None = Recording.objects.aggregate(newest=Max("created_at"))["newest"]
    return newest


@contextmanager
def sync_lease() -> Iterator[Lease]:
    """Hold the sync lease for the block, or raise ``SyncAlreadyRunning``."""
    lease = Lease()
    if not lease.acquire():
        raise SyncAlreadyRunning("A sync is already running; this one was skipped.")
    try:
        yield lease
    finally:
        lease.release()


def sync_recordings(
    *,
    full: bool = False,
    since: date | None = None,
    client: TelnyxClient | None = None,
    retry_budget_secs: float = RETRY_BUDGET_SECS,
) -> SyncRun:
    """Bring the local recordings and compositions up to date with Telnyx; return the run's record.

    Incremental by default (see the module docstring); ``full`` walks everything; the first sync
    ever is full, and any sync after a walk that did not finish resumes that walk from its last
    completed page. ``since`` lists recordings started on or after that day instead of using the
    high-water mark. Temporary Telnyx errors are retried for up to ``retry_budget_secs``; past it
    the error is recorded on the run (with the page reached) and re-raised as a ``dashboard.errors``
    class, so a task can retry. Another sync holding the lease: ``SyncAlreadyRunning`` (recorded
    as a skipped run).
    """
    kind = SyncRun.Kind.FULL if full else SyncRun.Kind.INCREMENTAL
    try:
        with sync_lease() as lease:
            _close_abandoned(lease.holder)
            return _run_sync(lease, full=full, since=since, client=client, budget=retry_budget_secs)
    except SyncAlreadyRunning as exc:
        SyncRun.objects.create(
            kind=kind, outcome=SyncRun.Outcome.SKIPPED, finished_at=timezone.now(), error=exc.message
        )
        raise


def _run_sync(
    lease: Lease, *, full: bool, since: date | None, client: TelnyxClient | None, budget: float
) -> SyncRun:
    unfinished = _unfinished_walk() if since is None else None
    first_ever = not SyncRun.objects.filter(
        kind=SyncRun.Kind.FULL, outcome=SyncRun.Outcome.SUCCEEDED
    ).exists()
    walk = full or unfinished is not None or (first_ever and since is None)
    watermark = None if walk else _watermark()
    run = SyncRun.objects.create(
        kind=SyncRun.Kind.FULL if walk else SyncRun.Kind.INCREMENTAL,
        since=since,
        holder=lease.holder,
        walk_id=(unfinished.walk_id if unfinished else uuid.uuid4().hex) if walk else "",
        cursor_page=unfinished.cursor_page if unfinished else 0,
        high_water=unfinished.high_water if unfinished else None,
        resumed_from=unfinished,
    )
    calls = PacedCalls(lease, budget_secs=budget)
    sync = _Sync(run, calls, client or get_client())
    try:
        with telnyx_call("sync the recordings"):
            if walk:
                sync.full_walk()
            else:
                sync.incremental(since, watermark)
    except UserError as exc:
        _finish(run, calls, SyncRun.Outcome.FAILED, exc.message)
        raise
    except LeaseLost as exc:
        _finish(run, calls, SyncRun.Outcome.FAILED, str(exc))
        raise Refused(str(exc)) from None
    except Exception as exc:
        _finish(run, calls, SyncRun.Outcome.FAILED, f"The sync failed unexpectedly: {exc!r}")
        raise
    if run.high_water is None and not walk:
        run.high_water = watermark
    _finish(run, calls, SyncRun.Outcome.SUCCEEDED, "")
    return run


def _finish(run: SyncRun, calls: PacedCalls, outcome: str, error: str) -> None:
    run.outcome = outcome
    if outcome == SyncRun.Outcome.FAILED and run.kind == SyncRun.Kind.FULL:
        error += f" The walk stopped after page {run.cursor_page}; the next sync resumes it from there."
    run.error = error.strip()
    run.api_calls = calls.calls
    run.finished_at = timezone.now()
    run.save()


@dataclass
class SyncRequest:
    queued: bool
    message: str


def queue_sync(*, full: bool = False) -> bool:
    """Queue a sync for a worker (once the transaction commits) unless one is already queued."""
    if not cache.add(QUEUED_KEY, "full" if full else "incremental", timeout=QUEUED_SECS):
        return False
    enqueue("recordings.tasks.sync_recordings_task", full=full)
    return True


def request_sync(*, user: Any, full: bool = False) -> SyncRequest:
    """A person's "Sync now": at most one per user per ``REQUEST_EVERY_SECS``, one queued at a time."""
    if not cache.add(REQUEST_KEY.format(user=user.pk), 1, timeout=REQUEST_EVERY_SECS):
        raise Refused(
            f"You asked for a sync less than {REQUEST_EVERY_SECS} seconds ago; wait a minute and try again."
        )
    if not queue_sync(full=full):
        return SyncRequest(
            queued=False, message="A sync is already queued; the figures update when it has run."
        )
    return SyncRequest(queued=True, message="A sync was queued; the figures update when it has run.")


def scheduled_sync(*, full: bool = False) -> SyncRun | None:
    """The periodic (or requested) sync, then archive copies of what completed (when the archive is on).

    Another sync holding the lease is not an error: this one is skipped (recorded as such).
    """
    cache.delete(QUEUED_KEY)  # running now: a new request may queue the next one
    try:
        run = sync_recordings(full=full)
    except SyncAlreadyRunning:
        logger.info("a recordings sync is already running; skipped")
        return None
    archive.queue_archive_tasks()
    enqueue("recordings.tasks.refresh_totals")
    triggers.after_sync()
    return run
