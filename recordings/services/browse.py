"""Browsing the local recordings and compositions: filters, listing, totals, storage per day,
the choices the filters offer, and the overview's figures. No API call: this reads what the sync
stored (bulk delete turns the same filters into Telnyx's, see ``RecordingFilters.as_api_filters``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from django.core.cache import cache
from django.db.models import Count, F, Max, Q, QuerySet, Sum
from django.utils import timezone

from dashboard.errors import Refused
from recordings.models import Composition, Recording, SyncRun
from recordings.services.sync import last_sync_run


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
            raise Refused("Recordings already gone from Telnyx cannot be deleted there.")
        if self.participant and not is_uuid(self.participant):
            raise Refused(
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


def is_uuid(value: str) -> bool:
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
        if is_uuid(filters.participant):
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
    """Count, MB and seconds of the recordings in ``qs`` (one aggregate query)."""
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
        return cast(list[dict[str, Any]], cached)
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
    return list(rooms)


def known_participants(limit: int = 500) -> list[str]:
    """Names of the participants that have recordings (resolved by the sync), for the filter's
    suggestions: the participant filter matches a name as well as an id."""
    key = f"recordings:known-participants:{_data_stamp()}"
    names = cache.get(key)
    if names is None:
        names = sorted(
            {
                name
                for name in Recording.objects.exclude(participant_context__isnull=True)
                .exclude(participant_context="")
                .order_by()
                .values_list("participant_context", flat=True)
                .distinct()[:limit]
            },
            key=str.casefold,
        )
        cache.set(key, names, 300)
    return list(names)


def recent_sessions(limit: int = 50) -> list[dict[str, Any]]:
    """Recent sessions that have video recordings locally: choices for a new composition."""
    latest = (
        Recording.objects.filter(gone_upstream=False, type=Recording.Type.VIDEO)
        .order_by("-started_at")
        .values_list("session_id", "room_name", "started_at")[: limit * 4]
    )
    seen: dict[str, dict[str, Any]] = {}
    for session_id, room_name, started_at in latest:
        if session_id not in seen:
            seen[session_id] = {"session_id": session_id, "room_name": room_name, "started_at": started_at}
        if len(seen) >= limit:
            break
    return list(seen.values())


def filter_compositions(*, session_id: str = "") -> QuerySet[Composition]:
    """Local compositions, newest first (the model's order), of one session when given."""
    compositions = Composition.objects.all()
    return compositions.filter(session_id=session_id) if session_id else compositions


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
