"""Sync: bring the local recordings and compositions up to date with Telnyx.

Upserts by Telnyx id (idempotent: a sync run twice, killed midway or run concurrently leaves the
same rows), records each run as a ``SyncRun`` (what a page shows), and keeps two full syncs apart.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from dashboard.celery import enqueue
from dashboard.errors import Refused, UserError, telnyx_call
from dashboard.telnyx import NotFoundError, RoomComposition, RoomRecording, TelnyxClient, get_client
from governance import triggers
from recordings.models import Composition, Recording, SyncRun
from recordings.services import archive

logger = logging.getLogger(__name__)

PAGE_SIZE = 250
# Incremental syncs list recordings started on or after the day of the last good sync minus this:
# a recording appears when its session ends, so sessions longer than this are caught by --full.
LOOKBACK_DAYS = 2
# At most this many recordings still `processing` (and older than the window) are re-fetched by id
# per run; the rest wait for the next run.
PROCESSING_RECHECKS_PER_RUN = 50
FULL_SYNC_LOCK_KEY = "recordings:full-sync-lock"
FULL_SYNC_LOCK_SECS = 3600
UPSERT_BATCH = 1000

RECORDING_API_FIELDS = (
    "room_id",
    "session_id",
    "participant_id",
    "type",
    "status",
    "codec",
    "size_mb",
    "duration_secs",
    "download_url",
    "started_at",
    "ended_at",
    "completed_at",
    "created_at",
    "updated_at",
    "record_type",
    "extra",
)
COMPOSITION_API_FIELDS = (
    "room_id",
    "session_id",
    "user_id",
    "status",
    "format",
    "resolution",
    "size_mb",
    "duration_secs",
    "download_url",
    "video_layout",
    "webhook_event_url",
    "webhook_event_failover_url",
    "webhook_timeout_secs",
    "started_at",
    "ended_at",
    "completed_at",
    "created_at",
    "updated_at",
    "record_type",
    "extra",
)
_BOOKKEEPING = ("last_seen_at", "last_synced_at", "gone_upstream", "gone_upstream_at")


class SyncAlreadyRunning(Refused):
    """A full sync was asked for while another one runs; this one is skipped."""


def last_sync_run() -> SyncRun | None:
    """The latest sync that ran (skipped ones left out)."""
    return SyncRun.objects.exclude(outcome=SyncRun.Outcome.SKIPPED).order_by("-started_at", "-id").first()


def _recording_values(item: RoomRecording) -> dict[str, Any]:
    values = {name: getattr(item, name) for name in RECORDING_API_FIELDS}
    for name, value in list(values.items()):
        if value is None and name not in ("size_mb", "duration_secs") and not name.endswith("_at"):
            values[name] = "" if name != "extra" else {}
    return values


def _composition_values(item: RoomComposition) -> dict[str, Any]:
    values = {name: getattr(item, name) for name in COMPOSITION_API_FIELDS}
    for name, value in list(values.items()):
        if value is None and name in (
            "room_id",
            "session_id",
            "user_id",
            "status",
            "format",
            "resolution",
            "download_url",
            "webhook_event_url",
            "webhook_event_failover_url",
            "record_type",
        ):
            values[name] = ""
        if name == "extra" and value is None:
            values[name] = {}
    return values


@dataclass
class UpsertCounts:
    created: int = 0
    updated: int = 0
    ids: list[str] = field(default_factory=list)


def upsert_recordings(items: Sequence[RoomRecording], *, now: datetime | None = None) -> UpsertCounts:
    """Insert or update recordings by Telnyx id in one statement per batch.

    ``first_seen_at`` and resolved names are kept; every API field, ``last_seen_at`` and
    ``last_synced_at`` are overwritten and ``gone_upstream`` cleared (Telnyx listed it again). Rows
    are written in id order so two concurrent upserts lock rows in the same order (no deadlock).
    """
    now = now or timezone.now()
    unique = {item.id: item for item in items}
    ids = sorted(unique)
    counts = UpsertCounts(ids=ids)
    for start in range(0, len(ids), UPSERT_BATCH):
        chunk = ids[start : start + UPSERT_BATCH]
        existing = set(Recording.objects.filter(telnyx_id__in=chunk).values_list("telnyx_id", flat=True))
        rows = [
            Recording(
                telnyx_id=telnyx_id,
                first_seen_at=now,
                last_seen_at=now,
                last_synced_at=now,
                gone_upstream=False,
                gone_upstream_at=None,
                **_recording_values(unique[telnyx_id]),
            )
            for telnyx_id in chunk
        ]
        Recording.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["telnyx_id"],
            update_fields=[*RECORDING_API_FIELDS, *_BOOKKEEPING],
        )
        counts.created += len(chunk) - len(existing)
        counts.updated += len(existing)
    return counts


def upsert_compositions(items: Sequence[RoomComposition], *, now: datetime | None = None) -> UpsertCounts:
    """Like ``upsert_recordings``; the dashboard's polling state is left alone."""
    now = now or timezone.now()
    unique = {item.id: item for item in items}
    ids = sorted(unique)
    counts = UpsertCounts(ids=ids)
    if not ids:
        return counts
    existing = set(Composition.objects.filter(telnyx_id__in=ids).values_list("telnyx_id", flat=True))
    deadline = now + timedelta(seconds=settings.COMPOSITION_DEADLINE_SECS)
    rows = []
    for telnyx_id in ids:
        values = _composition_values(unique[telnyx_id])
        created = values.get("created_at") or now
        rows.append(
            Composition(
                telnyx_id=telnyx_id,
                first_seen_at=now,
                last_seen_at=now,
                last_synced_at=now,
                poll_deadline_at=max(created + timedelta(seconds=settings.COMPOSITION_DEADLINE_SECS), now)
                if values["status"] != Composition.Status.COMPLETED
                else deadline,
                **values,
            )
        )
    Composition.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["telnyx_id"],
        update_fields=[*COMPOSITION_API_FIELDS, *_BOOKKEEPING],
    )
    counts.created = len(ids) - len(existing)
    counts.updated = len(existing)
    return counts


class _CountingClient:
    """The calls a sync makes, counted for its ``SyncRun`` (each list page or get is one call)."""

    def __init__(self, client: TelnyxClient) -> None:
        self.client = client
        self.calls = 0

    def pages(self, lister: Callable[..., Any], **filters: Any) -> Iterator[list[Any]]:
        number = 1
        while True:
            self.calls += 1
            page = lister(page=number, page_size=PAGE_SIZE, **filters)
            yield page.items
            if not page.items or page.meta.page_number >= page.meta.total_pages:
                return
            number = page.meta.page_number + 1

    def call(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return method(*args, **kwargs)


@contextmanager
def full_sync_lock() -> Iterator[None]:
    """Keep two full syncs apart across processes and machines (the shared cache).

    ``cache.add`` is atomic on Redis and good enough on the file cache; the timeout frees the lock
    if the holder was killed.
    """
    token = uuid.uuid4().hex
    if not cache.add(FULL_SYNC_LOCK_KEY, token, timeout=FULL_SYNC_LOCK_SECS):
        raise SyncAlreadyRunning("A full sync is already running; this one was skipped.")
    try:
        yield
    finally:
        if cache.get(FULL_SYNC_LOCK_KEY) == token:
            cache.delete(FULL_SYNC_LOCK_KEY)


def _incremental_since() -> date | None:
    """The day incremental listing starts from, or None when no full walk has succeeded yet."""
    last_good = SyncRun.objects.filter(outcome=SyncRun.Outcome.SUCCEEDED).order_by("-started_at").first()
    if last_good is None:
        return None
    if not SyncRun.objects.filter(outcome=SyncRun.Outcome.SUCCEEDED, kind=SyncRun.Kind.FULL).exists():
        return None
    return (last_good.started_at.astimezone(UTC) - timedelta(days=LOOKBACK_DAYS)).date()


def sync_recordings(
    *, full: bool = False, since: date | None = None, client: TelnyxClient | None = None
) -> SyncRun:
    """Bring the local recordings and compositions up to date with Telnyx; return the run's record.

    Incremental (default): lists recordings started since a few days before the last good sync
    (``filter[date_started_at][gte]``), re-checks older ones still ``processing``, and lists recent
    compositions — a handful of calls when nothing changed. Recordings of that window no longer
    listed are marked gone upstream. ``full`` (also the first sync ever) walks every page and marks
    everything not listed as gone upstream; two full syncs never overlap (``SyncAlreadyRunning``).
    ``since`` forces an incremental window. Telnyx errors are recorded on the run and re-raised as
    ``dashboard.errors`` classes, so a task can retry the temporary ones; rows written before the
    error stay (upserts are idempotent, the next run completes the work).
    """
    if since is None and not full:
        since = _incremental_since()
        full = since is None
    kind = SyncRun.Kind.FULL if full else SyncRun.Kind.INCREMENTAL
    if full:
        try:
            with full_sync_lock():
                return _run_sync(kind=kind, since=None, client=client)
        except SyncAlreadyRunning as exc:
            SyncRun.objects.create(
                kind=kind, outcome=SyncRun.Outcome.SKIPPED, finished_at=timezone.now(), error=exc.message
            )
            raise
    return _run_sync(kind=kind, since=since, client=client)


def _run_sync(*, kind: str, since: date | None, client: TelnyxClient | None) -> SyncRun:
    api = _CountingClient(client or get_client())
    run = SyncRun.objects.create(kind=kind, since=since)
    started = run.started_at
    try:
        with telnyx_call("sync the recordings"):
            _walk(api, run, since=since, started=started)
    except UserError as exc:
        _finish(run, api, SyncRun.Outcome.FAILED, exc.message)
        raise
    except Exception as exc:
        _finish(run, api, SyncRun.Outcome.FAILED, f"The sync failed unexpectedly: {exc!r}")
        raise
    _finish(run, api, SyncRun.Outcome.SUCCEEDED, "")
    return run


def _walk(api: _CountingClient, run: SyncRun, *, since: date | None, started: datetime) -> None:
    """List what Telnyx holds (all of it, or the window from ``since``), upsert it, mark the rest gone."""
    filters = {"date_started_at__gte": since} if since else {}
    for items in api.pages(api.client.list_recordings, **filters):
        counts = upsert_recordings(items)
        run.seen += len(items)
        run.created += counts.created
        run.updated += counts.updated
        _resolve_room_names(api, counts.ids)
    gone = Recording.objects.filter(gone_upstream=False, last_seen_at__lt=started)
    if since is not None:
        gone = gone.filter(started_at__gte=datetime.combine(since, datetime.min.time(), tzinfo=UTC))
        _recheck_processing(api, run, since)
    run.gone += gone.update(gone_upstream=True, gone_upstream_at=timezone.now())

    comp_filters = {"date_created_at__gte": since} if since else {}
    for items in api.pages(api.client.list_compositions, **comp_filters):
        upsert_compositions(items)
        run.compositions_seen += len(items)
    gone_comps = Composition.objects.filter(gone_upstream=False, last_seen_at__lt=started)
    if since is not None:
        gone_comps = gone_comps.filter(
            created_at__gte=datetime.combine(since, datetime.min.time(), tzinfo=UTC)
        )
    gone_comps.update(gone_upstream=True, gone_upstream_at=timezone.now())


def _finish(run: SyncRun, api: _CountingClient, outcome: str, error: str) -> None:
    run.outcome = outcome
    run.error = error
    run.api_calls = api.calls
    run.finished_at = timezone.now()
    run.save()


def _recheck_processing(api: _CountingClient, run: SyncRun, since: date) -> None:
    """Fetch by id the recordings still processing that started before the listed window."""
    cutoff = datetime.combine(since, datetime.min.time(), tzinfo=UTC)
    stale = list(
        Recording.objects.filter(
            gone_upstream=False, status=Recording.Status.PROCESSING, started_at__lt=cutoff
        ).values_list("telnyx_id", flat=True)[:PROCESSING_RECHECKS_PER_RUN]
    )
    fresh = []
    for telnyx_id in stale:
        try:
            fresh.append(api.call(api.client.get_recording, telnyx_id))
        except NotFoundError:
            run.gone += Recording.objects.filter(telnyx_id=telnyx_id, gone_upstream=False).update(
                gone_upstream=True, gone_upstream_at=timezone.now()
            )
    if fresh:
        counts = upsert_recordings(fresh)
        run.updated += counts.updated


def _resolve_room_names(api: _CountingClient, recording_ids: Sequence[str]) -> None:
    """Fill ``room_name`` of these recordings, asking Telnyx only about rooms never seen before."""
    pending = set(
        Recording.objects.filter(telnyx_id__in=recording_ids, room_name__isnull=True)
        .exclude(room_id="")
        .values_list("room_id", flat=True)
    )
    if not pending:
        return
    known = dict(
        Recording.objects.filter(room_id__in=pending, room_name__isnull=False)
        .values_list("room_id", "room_name")
        .distinct()
    )
    unknown = pending - set(known)
    if len(unknown) > 3:
        for items in api.pages(api.client.list_rooms):
            for room in items:
                if room.id in unknown:
                    known[room.id] = room.unique_name or ""
    for room_id in unknown - set(known):
        try:
            room = api.call(api.client.get_room, room_id)
            known[room_id] = room.unique_name or ""
        except NotFoundError:
            known[room_id] = ""  # deleted room: looked up, no name to show
    for room_id, name in known.items():
        Recording.objects.filter(room_id=room_id, room_name__isnull=True).update(room_name=name)


def queue_sync(*, full: bool = False) -> None:
    """Queue a sync (full, or incremental) for a worker; it runs once the transaction commits."""
    enqueue("recordings.tasks.sync_recordings_task", full=full)


def scheduled_sync(*, full: bool = False) -> SyncRun | None:
    """The periodic sync, then archive copies of what completed (when the archive is on).

    A full sync that finds another one running is skipped (recorded as such), not an error.
    """
    try:
        run = sync_recordings(full=full)
    except SyncAlreadyRunning:
        logger.info("a full recordings sync is already running; skipped")
        return None
    archive.queue_archive_tasks()
    triggers.after_sync()
    return run
