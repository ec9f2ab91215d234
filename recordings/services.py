"""The rules for recordings and compositions: sync, browse, download, delete, compose, poll, archive.

Views, Celery tasks and the management command call these functions; only they call the Telnyx
client. Errors a user should read are ``RecordingsError`` (or the client's ``TelnyxError``, whose
``message`` is already a sentence).
"""

from __future__ import annotations

import hashlib
import logging
import re
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import File
from django.db import transaction
from django.db.models import Count, F, Max, Q, QuerySet, Sum
from django.utils import timezone

from audit.models import AuditEntry
from audit.services import audited, record_action
from dashboard.telnyx import (
    NotFoundError,
    RoomComposition,
    RoomRecording,
    TelnyxClient,
    TelnyxError,
    get_client,
)
from recordings.models import Composition, Recording, SyncRun

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


class RecordingsError(Exception):
    """A problem a user can read about (one sentence), with optional field-level messages."""

    def __init__(self, message: str, *, field_errors: Sequence[tuple[str | None, str]] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.field_errors = list(field_errors)


class SyncAlreadyRunning(RecordingsError):
    pass


# --- overview -----------------------------------------------------------------------------------


def overview_stats() -> dict[str, Any]:
    """Figures for the overview page (a handful of indexed queries, no API call).

    Keys: ``recordings_synced_today`` (recordings first seen since midnight), ``total_recordings``
    and ``total_size_mb`` (not gone upstream), ``compositions_in_progress`` (Composition objects,
    enqueued or processing and not stalled), ``compositions_stalled`` (count), ``last_sync``
    (the latest ``SyncRun`` or None).
    """
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    live = Recording.objects.filter(gone_upstream=False)
    totals = live.aggregate(count=Count("id"), size=Sum("size_mb"))
    in_progress = list(
        Composition.objects.filter(
            gone_upstream=False,
            stalled_at__isnull=True,
            status__in=[Composition.Status.ENQUEUED, Composition.Status.PROCESSING],
        ).order_by("-created_at")[:20]
    )
    return {
        "recordings_synced_today": Recording.objects.filter(first_seen_at__gte=today).count(),
        "total_recordings": totals["count"] or 0,
        "total_size_mb": round(totals["size"] or 0.0, 3),
        "compositions_in_progress": in_progress,
        "compositions_stalled": Composition.objects.filter(gone_upstream=False, stalled_at__isnull=False)
        .exclude(status=Composition.Status.COMPLETED)
        .count(),
        "last_sync": last_sync_run(),
    }


def last_sync_run() -> SyncRun | None:
    return SyncRun.objects.exclude(outcome=SyncRun.Outcome.SKIPPED).order_by("-started_at", "-id").first()


# --- sync ---------------------------------------------------------------------------------------


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

    def pages(self, lister: Any, **filters: Any) -> Iterator[list[Any]]:
        number = 1
        while True:
            self.calls += 1
            page = lister(page=number, page_size=PAGE_SIZE, **filters)
            yield page.items
            if not page.items or page.meta.page_number >= page.meta.total_pages:
                return
            number = page.meta.page_number + 1

    def call(self, method: Any, *args: Any, **kwargs: Any) -> Any:
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
    ``since`` forces an incremental window. Telnyx errors are recorded on the run and re-raised,
    so a task can retry the temporary ones; rows written before the error stay (upserts are
    idempotent, the next run completes the work).
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
    except TelnyxError as exc:
        _finish(run, api, SyncRun.Outcome.FAILED, exc.message)
        raise
    except Exception as exc:
        _finish(run, api, SyncRun.Outcome.FAILED, f"The sync failed unexpectedly: {exc!r}")
        raise
    _finish(run, api, SyncRun.Outcome.SUCCEEDED, "")
    return run


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


def queue_archive_tasks(limit: int = 500) -> int:
    """Queue archive tasks for completed files not yet archived (RECORDINGS_ARCHIVE=1); returns how many."""
    if not settings.RECORDINGS_ARCHIVE:
        return 0
    from recordings import tasks  # the tasks module imports this one

    queued = 0
    for model, task in ((Recording, tasks.archive_recording), (Composition, tasks.archive_composition)):
        pks = list(
            model.objects.filter(
                gone_upstream=False, status="completed", archived_at__isnull=True, archive_error=""
            ).values_list("pk", flat=True)[:limit]
        )
        for pk in pks:
            transaction.on_commit(lambda pk=pk, task=task: task.delay(pk))
        queued += len(pks)
    return queued


# --- browsing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordingFilters:
    """The filters of the recordings page and of bulk delete, in one shape for both."""

    room_id: str = ""
    session_id: str = ""
    participant: str = ""  # a participant id, or (locally only) a participant's name
    type: str = ""
    status: str = ""  # completed | processing | gone (gone upstream, local only)
    started_from: date | None = None
    started_to: date | None = None
    min_duration_secs: int | None = None

    @property
    def is_empty(self) -> bool:
        return not any(
            (
                self.room_id,
                self.session_id,
                self.participant,
                self.type,
                self.status,
                self.started_from,
                self.started_to,
                self.min_duration_secs is not None,
            )
        )

    def as_api_filters(self) -> dict[str, Any]:
        """The same filters as Telnyx's deepObject keyword arguments (for listing and bulk delete)."""
        if self.status == "gone":
            raise RecordingsError("Recordings already gone from Telnyx cannot be deleted there.")
        if self.participant and not _is_uuid(self.participant):
            raise RecordingsError(
                "Telnyx filters by participant id; enter a participant id rather than a name.",
                field_errors=[("participant", "Enter a participant id (a UUID) to delete by participant.")],
            )
        filters: dict[str, Any] = {
            "room_id": self.room_id or None,
            "session_id": self.session_id or None,
            "participant_id": self.participant or None,
            "type": self.type or None,
            "status": self.status or None,
            "date_started_at__gte": self.started_from,
            "date_started_at__lte": self.started_to,
            "duration_secs": self.min_duration_secs,
        }
        return {k: v for k, v in filters.items() if v is not None}


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _day_start(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC)


SORTS = {
    "date": ("started_at", "id"),
    "size": ("size_mb", "id"),
    "duration": ("duration_secs", "id"),
}


def filter_recordings(filters: RecordingFilters, *, sort: str = "-date") -> QuerySet[Recording]:
    """Local recordings matching the filters (Telnyx's day semantics for dates, UTC), sorted."""
    qs = Recording.objects.all()
    if filters.status == "gone":
        qs = qs.filter(gone_upstream=True)
    else:
        qs = qs.filter(gone_upstream=False)
        if filters.status:
            qs = qs.filter(status=filters.status)
    if filters.room_id:
        qs = qs.filter(room_id=filters.room_id)
    if filters.session_id:
        qs = qs.filter(session_id=filters.session_id)
    if filters.participant:
        if _is_uuid(filters.participant):
            qs = qs.filter(participant_id=filters.participant)
        else:
            qs = qs.filter(participant_context__iexact=filters.participant)
    if filters.type:
        qs = qs.filter(type=filters.type)
    if filters.started_from:
        qs = qs.filter(started_at__gte=_day_start(filters.started_from))
    if filters.started_to:
        qs = qs.filter(started_at__lt=_day_start(filters.started_to + timedelta(days=1)))
    if filters.min_duration_secs is not None:
        qs = qs.filter(duration_secs__gte=filters.min_duration_secs)
    descending = sort.startswith("-")
    key = SORTS.get(sort.lstrip("-"), SORTS["date"])
    order = [F(name).desc(nulls_last=True) if descending else F(name).asc(nulls_last=True) for name in key]
    return qs.order_by(*order)


def recording_totals(qs: QuerySet[Recording]) -> dict[str, Any]:
    totals = qs.order_by().aggregate(count=Count("id"), size=Sum("size_mb"), duration=Sum("duration_secs"))
    return {
        "count": totals["count"] or 0,
        "size_mb": totals["size"] or 0.0,
        "duration_secs": totals["duration"] or 0,
    }


def storage_per_day(*, days: int = 30, today: date | None = None) -> list[dict[str, Any]]:
    """MB of recordings (not gone) started on each of the last ``days`` days, oldest first, zeros kept.

    One query of conditional aggregates over an index range (a per-row date cast is slow on SQLite),
    cached until the next sync run or new row.
    """
    today = today or timezone.now().astimezone(UTC).date()
    first = today - timedelta(days=days - 1)
    key = f"recordings:storage-per-day:{first}:{days}:{_data_stamp()}"
    cached = cache.get(key)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    aggregates: dict[str, Any] = {}
    for i in range(days):
        window = Q(
            started_at__gte=_day_start(first + timedelta(days=i)),
            started_at__lt=_day_start(first + timedelta(days=i + 1)),
        )
        aggregates[f"size{i}"] = Sum("size_mb", filter=window)
        aggregates[f"count{i}"] = Count("id", filter=window)
    row = Recording.objects.filter(gone_upstream=False, started_at__gte=_day_start(first)).aggregate(
        **aggregates
    )
    result = [
        {"day": first + timedelta(days=i), "size_mb": row[f"size{i}"] or 0.0, "count": row[f"count{i}"] or 0}
        for i in range(days)
    ]
    cache.set(key, result, 300)
    return result


def _data_stamp() -> str:
    """Changes whenever a sync ran or rows were added or marked gone: a key for cached figures."""
    latest = SyncRun.objects.order_by("-id").values_list("id", "started_at").first()
    stamp = f"{latest[0]}-{latest[1].timestamp()}" if latest else "none"
    newest = Recording.objects.order_by("-id").values_list("id", flat=True).first()
    gone = Recording.objects.aggregate(latest=Max("gone_upstream_at"))["latest"]
    return f"{stamp}:{newest}:{gone.timestamp() if gone else 0}"


def known_rooms() -> list[tuple[str, str]]:
    """(room id, name) of the rooms that have recordings, for the filter's choices."""
    key = f"recordings:known-rooms:{_data_stamp()}"
    rooms = cache.get(key)
    if rooms is None:
        rooms = sorted(
            {
                (rid, name or "")
                for rid, name in Recording.objects.values_list("room_id", "room_name").distinct()
            },
            key=lambda pair: (pair[1] or "~", pair[0]),
        )
        cache.set(key, rooms, 300)
    return rooms


def recent_sessions(limit: int = 50) -> list[dict[str, Any]]:
    """Recent sessions that have video recordings locally: choices for a new composition."""
    rows = (
        Recording.objects.filter(gone_upstream=False, type=Recording.Type.VIDEO)
        .values("session_id", "room_id", "room_name")
        .annotate(started=Count("id"), first=Sum("duration_secs"))
        .order_by()
    )
    latest = (
        Recording.objects.filter(gone_upstream=False, type=Recording.Type.VIDEO)
        .order_by("-started_at")
        .values_list("session_id", "room_name", "started_at")[: limit * 4]
    )
    del rows
    seen: dict[str, dict[str, Any]] = {}
    for session_id, room_name, started_at in latest:
        if session_id not in seen:
            seen[session_id] = {"session_id": session_id, "room_name": room_name, "started_at": started_at}
        if len(seen) >= limit:
            break
    return list(seen.values())


# --- downloads ----------------------------------------------------------------------------------


@dataclass
class OpenDownload:
    """A file being streamed to a browser: status (200/206), headers, chunks; close when done."""

    status: int
    content_type: str
    content_length: int | None
    content_range: str | None
    chunks: Iterator[bytes]
    closers: list[Any] = field(default_factory=list)

    def close(self) -> None:
        while self.closers:
            self.closers.pop()()


CHUNK_SIZE = 256 * 1024


def download_filename(record: Recording | Composition) -> str:
    """room_session-start_participant.ext, safe for any file system."""
    room = getattr(record, "room_name", None) or (record.room_id[:8] if record.room_id else "room")
    start = (
        record.started_at.astimezone(UTC).strftime("%Y-%m-%d_%H%M") if record.started_at else "unknown-start"
    )
    if isinstance(record, Recording):
        who = record.participant_context or (
            record.participant_id[:8] if record.participant_id else "participant"
        )
        ext = "mp4" if record.type == Recording.Type.VIDEO else "wav"
        name = f"{room}_{start}_{who}_{record.type or 'recording'}.{ext}"
    else:
        name = f"{room}_{start}_composition.{record.format or 'mp4'}"
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-")


def _resolve_participant_name(recording: Recording, client: TelnyxClient) -> None:
    if recording.participant_context is not None or not recording.participant_id:
        return
    try:
        participant = client.get_participant(recording.participant_id)
        name = participant.context or ""
    except NotFoundError:
        name = ""
    except TelnyxError:
        return  # a name is nice to have; the download goes on without it
    recording.participant_context = name
    Recording.objects.filter(pk=recording.pk).update(participant_context=name)


def parse_byte_range(header: str | None, total: int) -> tuple[int, int] | None | str:
    """(start, end) of a single ``bytes=`` range, None for no/ignored range, "unsatisfiable"."""
    if not header or not header.startswith("bytes=") or "," in header:
        return None
    spec = header[6:].strip()
    first, _, last = spec.partition("-")
    try:
        if first == "":
            length = int(last)
            if length <= 0:
                return "unsatisfiable"
            return max(0, total - length), total - 1
        start = int(first)
        end = int(last) if last else total - 1
    except ValueError:
        return None
    if start >= total or start > end:
        return "unsatisfiable"
    return start, min(end, total - 1)


def _archive_download(record: Recording | Composition, byte_range: str | None) -> OpenDownload:
    handle = record.archive_file.open("rb")
    total = record.archive_size or record.archive_file.size
    wanted = parse_byte_range(byte_range, total)
    if wanted == "unsatisfiable":
        handle.close()
        raise RangeNotSatisfiable(total)
    start, end = (0, total - 1) if wanted is None else wanted
    handle.seek(start)

    def chunks() -> Iterator[bytes]:
        left = end - start + 1
        while left > 0:
            piece = handle.read(min(CHUNK_SIZE, left))
            if not piece:
                return
            left -= len(piece)
            yield piece

    content_type = "video/mp4" if download_filename(record).endswith(".mp4") else "audio/wav"
    return OpenDownload(
        status=200 if wanted is None else 206,
        content_type=content_type,
        content_length=end - start + 1,
        content_range=None if wanted is None else f"bytes {start}-{end}/{total}",
        chunks=chunks(),
        closers=[handle.close],
    )


class RangeNotSatisfiable(RecordingsError):
    def __init__(self, total: int | None) -> None:
        super().__init__("The requested byte range is outside the file.")
        self.total = total


def open_download(record: Recording | Composition, *, byte_range: str | None = None) -> OpenDownload:
    """Open a recording's or composition's file: from the archive when there is one, else from
    Telnyx (a fresh link fetched if the stored one expired), forwarding ``Range``.

    The caller must ``close()`` the result (the view hands it to the response's closers).
    """
    if record.is_archived:
        return _archive_download(record, byte_range)
    if record.gone_upstream:
        raise RecordingsError("This file was deleted in Telnyx and no archived copy exists.")
    client = get_client()
    if isinstance(record, Recording):
        _resolve_participant_name(record, client)
        remote: RoomRecording | RoomComposition = RoomRecording(
            id=record.telnyx_id, download_url=record.download_url or None
        )
    else:
        remote = RoomComposition(id=record.telnyx_id, download_url=record.download_url or None)
    context = client.stream_download(remote, byte_range=byte_range)
    try:
        stream = context.__enter__()
    except TelnyxError as exc:
        if exc.status == 404 and not isinstance(exc, NotFoundError):
            raise
        if exc.status == 416:
            raise RangeNotSatisfiable(None) from None
        if isinstance(exc, NotFoundError) and "no longer available" not in exc.message:
            type(record).objects.filter(pk=record.pk).update(
                gone_upstream=True, gone_upstream_at=timezone.now()
            )
        raise
    return OpenDownload(
        status=stream.status_code,
        content_type=stream.content_type or "application/octet-stream",
        content_length=stream.content_length,
        content_range=stream.content_range,
        chunks=stream.iter_bytes(CHUNK_SIZE),
        closers=[lambda: context.__exit__(None, None, None)],
    )


# --- deleting -----------------------------------------------------------------------------------


def delete_recording(*, user: Any, recording: Recording) -> None:
    """Delete one recording in Telnyx (already gone counts as done), mark it, audit it."""
    with audited(
        user=user,
        action=AuditEntry.Action.RECORDING_DELETE,
        room_id=recording.room_id,
        room_name=recording.room_name or "",
        session_id=recording.session_id,
        target={"recording_id": recording.telnyx_id},
    ) as outcome:
        with suppress(NotFoundError):  # already gone in Telnyx counts as deleted
            get_client().delete_recording(recording.telnyx_id)
        Recording.objects.filter(pk=recording.pk).update(gone_upstream=True, gone_upstream_at=timezone.now())
        outcome.message = f"Deleted {download_filename(recording)}."


@dataclass
class BulkPreview:
    count: int
    sample: list[RoomRecording]
    api_filters: dict[str, Any]


def preview_bulk_delete(filters: RecordingFilters, *, sample_size: int = 10) -> BulkPreview:
    """How many recordings Telnyx holds for these filters, and a sample: asked of Telnyx itself
    (one call), so the count is exactly what ``DELETE /room_recordings`` will remove."""
    if filters.is_empty:
        raise RecordingsError("Choose at least one filter: deleting every recording is not allowed here.")
    api_filters = filters.as_api_filters()
    page = get_client().list_recordings(page=1, page_size=sample_size, **api_filters)
    return BulkPreview(count=page.meta.total_results, sample=page.items, api_filters=api_filters)


@dataclass
class BulkDeleteResult:
    deleted: int
    marked: list[Recording]


def bulk_delete_recordings(*, user: Any, filters: RecordingFilters, confirmed_count: int) -> BulkDeleteResult:
    """Delete in Telnyx every recording matching the filters, once the user typed the count.

    Refuses an empty filter and a count that no longer matches Telnyx (something changed since the
    preview). Afterwards the matching local rows are marked gone upstream (what was removed) and an
    incremental sync is queued.
    """
    preview = preview_bulk_delete(filters, sample_size=1)
    if preview.count != confirmed_count:
        raise RecordingsError(
            f"Telnyx now holds {preview.count} matching recordings, not {confirmed_count}; "
            "check the preview again before deleting.",
            field_errors=[("confirm_count", f"The count is now {preview.count}.")],
        )
    target: dict[str, Any] = {"filters": {k: str(v) for k, v in preview.api_filters.items()}}
    with audited(
        user=user,
        action=AuditEntry.Action.RECORDINGS_BULK_DELETE,
        room_id=filters.room_id,
        session_id=filters.session_id,
        target=target,
    ) as outcome:
        deleted = get_client().delete_recordings(**preview.api_filters)
        target["deleted"] = deleted
        outcome.message = f"Deleted {deleted} recording{'s' if deleted != 1 else ''} in Telnyx."
    local = filter_recordings(RecordingFilters(**{**filters.__dict__}))
    marked = list(local.order_by("-started_at")[:200])
    local.update(gone_upstream=True, gone_upstream_at=timezone.now())
    from recordings import tasks

    transaction.on_commit(lambda: tasks.sync_recordings_task.delay())
    return BulkDeleteResult(deleted=deleted, marked=marked)


# --- compositions -------------------------------------------------------------------------------


def session_video_recordings(session_id: str) -> list[Recording]:
    """The session's video recordings: from the local table, else asked of Telnyx (and stored)."""
    local = list(
        Recording.objects.filter(
            session_id=session_id, type=Recording.Type.VIDEO, gone_upstream=False
        ).order_by("started_at")
    )
    if local:
        return local
    items = list(get_client().iter_recordings(session_id=session_id, type="video"))
    if items:
        upsert_recordings(items)
    return list(
        Recording.objects.filter(
            session_id=session_id, type=Recording.Type.VIDEO, gone_upstream=False
        ).order_by("started_at")
    )


def ensure_session_ended(session_id: str) -> None:
    session = get_client().get_session(session_id)
    if session.active:
        raise RecordingsError(
            "This session is still live; a composition can be made once it has ended.",
            field_errors=[("session_id", "The session is still live.")],
        )


def create_composition(
    *, user: Any, session_id: str, resolution: str, video_layout: dict[str, dict[str, Any]] | None
) -> Composition:
    """Ask Telnyx for a composition of an ended session, store it, audit it, start polling it."""
    from recordings import tasks

    ensure_session_ended(session_id)
    target: dict[str, Any] = {"resolution": resolution, "video_layout": video_layout}
    with audited(
        user=user, action=AuditEntry.Action.COMPOSITION_CREATE, session_id=session_id, target=target
    ) as outcome:
        remote = get_client().create_composition(
            session_id=session_id, format="mp4", resolution=resolution, video_layout=video_layout
        )
        target["composition_id"] = remote.id
        outcome.message = f"Composition {remote.id} requested ({resolution})."
        outcome.where = {"room_id": remote.room_id or ""}
    with transaction.atomic():
        upsert_compositions([remote])
        composition = Composition.objects.get(telnyx_id=remote.id)
        composition.requested_by = user if getattr(user, "is_authenticated", False) else None
        composition.poll_deadline_at = timezone.now() + timedelta(seconds=settings.COMPOSITION_DEADLINE_SECS)
        composition.next_poll_at = timezone.now() + timedelta(seconds=poll_interval(0))
        composition.save(update_fields=["requested_by", "poll_deadline_at", "next_poll_at"])
        pk = composition.pk
        transaction.on_commit(lambda: tasks.poll_composition.apply_async((pk,), countdown=poll_interval(0)))
    return composition


def poll_interval(attempt: int) -> float:
    """Seconds before poll number ``attempt + 1``: 1, 2, 4 … doubling up to 5 minutes (and below the
    broker's retry countdown ceiling)."""
    return float(min(2**attempt, 300, settings.CELERY_TASK_MAX_RETRY_COUNTDOWN))


def poll_composition(composition_pk: int) -> float | None:
    """Fetch the composition's status once. Returns the delay before the next poll, or None when it
    is final (completed, stalled past its deadline, gone). Temporary Telnyx errors propagate (the
    task retries); permanent ones are recorded on the row and end polling."""
    composition = Composition.objects.filter(pk=composition_pk).first()
    if composition is None or composition.is_final:
        return None
    now = timezone.now()
    try:
        remote = get_client().get_composition(composition.telnyx_id)
    except NotFoundError:
        Composition.objects.filter(pk=composition_pk).update(
            gone_upstream=True, gone_upstream_at=now, next_poll_at=None
        )
        return None
    except TelnyxError as exc:
        if exc.retryable:
            raise
        Composition.objects.filter(pk=composition_pk).update(last_error=exc.message, next_poll_at=None)
        return None
    upsert_compositions([remote], now=now)
    attempts = composition.poll_attempts + 1
    if remote.status == Composition.Status.COMPLETED:
        Composition.objects.filter(pk=composition_pk).update(
            poll_attempts=attempts, next_poll_at=None, last_error=""
        )
        if settings.RECORDINGS_ARCHIVE:
            from recordings import tasks

            transaction.on_commit(lambda: tasks.archive_composition.delay(composition_pk))
        return None
    if composition.poll_deadline_at and now >= composition.poll_deadline_at:
        Composition.objects.filter(pk=composition_pk).update(
            poll_attempts=attempts, stalled_at=now, next_poll_at=None
        )
        logger.warning(
            "composition %s stalled: still %s after its deadline", composition.telnyx_id, remote.status
        )
        return None
    delay = poll_interval(attempts)
    Composition.objects.filter(pk=composition_pk).update(
        poll_attempts=attempts, next_poll_at=now + timedelta(seconds=delay), last_error=""
    )
    return delay


def compositions_due_for_polling(*, grace_secs: float = 60) -> list[int]:
    """Compositions in flight whose poll is overdue (its task was lost): the sweep requeues them."""
    now = timezone.now()
    return list(
        Composition.objects.filter(gone_upstream=False, stalled_at__isnull=True)
        .exclude(status=Composition.Status.COMPLETED)
        .filter(Q(next_poll_at__isnull=True) | Q(next_poll_at__lte=now - timedelta(seconds=grace_secs)))
        .values_list("pk", flat=True)[:500]
    )


def delete_composition(*, user: Any, composition: Composition) -> None:
    with audited(
        user=user,
        action=AuditEntry.Action.COMPOSITION_DELETE,
        room_id=composition.room_id,
        session_id=composition.session_id,
        target={"composition_id": composition.telnyx_id},
    ) as outcome:
        with suppress(NotFoundError):  # already gone in Telnyx counts as deleted
            get_client().delete_composition(composition.telnyx_id)
        Composition.objects.filter(pk=composition.pk).update(
            gone_upstream=True, gone_upstream_at=timezone.now(), next_poll_at=None
        )
        outcome.message = f"Deleted composition {composition.telnyx_id}."


def audit_download(*, user: Any, record: Recording | Composition, succeeded: bool, message: str = "") -> None:
    is_recording = isinstance(record, Recording)
    record_action(
        user=user,
        action=AuditEntry.Action.RECORDING_DOWNLOAD
        if is_recording
        else AuditEntry.Action.COMPOSITION_DOWNLOAD,
        succeeded=succeeded,
        message=message or f"Downloaded {download_filename(record)}.",
        room_id=record.room_id,
        room_name=getattr(record, "room_name", None) or "",
        session_id=record.session_id,
        target={("recording_id" if is_recording else "composition_id"): record.telnyx_id},
    )


# --- archive ------------------------------------------------------------------------------------


def archive_file(record: Recording | Composition) -> None:
    """Copy a completed file into Django's default storage with its size and SHA-256 (idempotent:
    an archived record is left alone; a half-written copy is never referenced)."""

    if record.is_archived or record.status != "completed" or record.gone_upstream:
        return
    digest = hashlib.sha256()
    size = 0
    with tempfile.TemporaryFile() as spool:
        source = open_download(record) if not record.is_archived else None
        assert source is not None
        try:
            for chunk in source.chunks:
                digest.update(chunk)
                size += len(chunk)
                spool.write(chunk)
        finally:
            source.close()
        spool.seek(0)
        kind = "recordings" if isinstance(record, Recording) else "compositions"
        name = f"{kind}/{record.telnyx_id}-{download_filename(record)}"
        stored = record.archive_file.storage.save(f"archive/{name}", File(spool))
    type(record).objects.filter(pk=record.pk).update(
        archive_file=stored,
        archive_size=size,
        archive_sha256=digest.hexdigest(),
        archived_at=timezone.now(),
        archive_error="",
    )
