"""Browsing the local recordings and compositions: filters, listing, totals, storage per day,
the choices the filters offer, and the overview's figures. No API call: this reads what the sync
stored (bulk delete turns the same filters into Telnyx's, see ``RecordingFilters.as_api_filters``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db.models import Count, F, QuerySet, Sum
from django.utils import timezone

from dashboard.errors import Refused
from governance.holds import held_exists
from recordings.models import Composition, NullsLow, Recording, SyncRun
from recordings.services.totals import read_figures


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
    hold: str = ""  # held | not_held (legal holds are local: never sent to Telnyx)

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
                self.hold,
            )
        )

    def as_api_filters(self) -> dict[str, Any]:
        """The same filters as Telnyx's deepObject keyword arguments (for listing and bulk delete)."""
        if self.status == "gone":
            raise Refused("Recordings already gone from Telnyx cannot be deleted there.")
        if self.hold == "held":
            raise Refused(
                "Recordings under legal hold are never deleted; an admin must release the hold first.",
                field_errors=[("hold", "Held recordings cannot be bulk-deleted.")],
            )
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
    """Local recordings matching the filters (Telnyx's day semantics for dates, UTC), sorted.

    Each order is matched by an index (``rec_list_*``): NULLs count as the lowest value (last going
    down, first going up) and the id breaks ties, so the order is total and stable and a page read
    from the far end is the same index scanned backwards.
    """
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
    if filters.hold:
        held = held_exists(Recording)
        qs = qs.filter(held) if filters.hold == "held" else qs.filter(~held)
    descending = sort.startswith("-")
    column, tiebreak = SORTS.get(sort.lstrip("-"), SORTS["date"])
    tie = F(tiebreak).desc() if descending else F(tiebreak).asc()
    return qs.order_by(NullsLow(column, descending=descending), tie)


def recording_totals(qs: QuerySet[Recording]) -> dict[str, Any]:
    """Count, MB and seconds of the recordings in ``qs`` (one aggregate query)."""
    totals = qs.order_by().aggregate(count=Count("id"), size=Sum("size_mb"), duration=Sum("duration_secs"))
    return {
        "count": totals["count"] or 0,
        "size_mb": totals["size"] or 0.0,
        "duration_secs": totals["duration"] or 0,
    }


# --- the kept summary -------------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    """What a recordings page needs besides its rows, read in one query: the kept figures per day,
    type, status and gone flag (see ``recordings.services.totals``), the rooms, participants'
    names and the latest sync run."""

    buckets: list[list[Any]]
    rooms: list[tuple[str, str]]
    participants: list[str]
    last_sync: SyncRun | None

    def totals(self, filters: RecordingFilters) -> dict[str, Any] | None:
        """Count, MB and seconds of the recordings the filters select, or None when a filter the
        kept figures do not break down by (room, session, participant, duration,
        legal hold) is set."""
        if (
            filters.room_id
            or filters.session_id
            or filters.participant
            or filters.min_duration_secs is not None
            or filters.hold
        ):
            return None
        count, size, duration = 0, 0.0, 0
        for day, kind, status, gone, n, mb, secs in self.buckets:
            if (filters.status == "gone") != gone:
                continue
            if filters.status not in ("", "gone") and status != filters.status:
                continue
            if filters.type and kind != filters.type:
                continue
            if (filters.started_from or filters.started_to) and day is None:
                continue
            if filters.started_from and day < filters.started_from.isoformat():
                continue
            if filters.started_to and day > filters.started_to.isoformat():
                continue
            count, size, duration = count + n, size + mb, duration + secs
        return {"count": count, "size_mb": size, "duration_secs": duration}


def current_summary() -> Summary:
    """The kept figures (see ``recordings.services.totals``), the rooms, participants' names and the
    latest sync run, in one query; never an adding up of the table."""
    figures = read_figures()
    return Summary(
        buckets=figures.buckets,
        rooms=figures.rooms,
        participants=figures.participants,
        last_sync=figures.last_sync,
    )


@dataclass(frozen=True)
class RecordingPage:
    """One page of the list: its rows, its number (clamped) and how many pages there are."""

    rows: list[Recording]
    number: int
    num_pages: int
    totals: dict[str, Any]


# What a row of the list shows and links to. The rest (the API's other fields, JSON extras, sync
# bookkeeping) cost more to convert than the query took to run; a template that reads one would
# fetch it row by row (the page's query-count test would say so).
LIST_COLUMNS = (
    "telnyx_id",
    "room_id",
    "room_name",
    "session_id",
    "participant_id",
    "participant_context",
    "type",
    "status",
    "size_mb",
    "duration_secs",
    "started_at",
    "gone_upstream",
    "archive_file",
    "archived_at",
)


def recording_page(
    filters: RecordingFilters, *, sort: str, number: int, per_page: int, summary: Summary
) -> RecordingPage:
    """Page ``number`` of the filtered, sorted list (past the last page: the last page); each row
    carries ``held`` (a legal hold covers it), read in the rows' own query, and only the columns
    the list shows (``LIST_COLUMNS``).

    The count comes from the kept figures where they cover the filters (else one aggregate query);
    a page in the back half is read from the far end in the reverse order, so the last page costs
    what the first does rather than skipping a million index entries.
    """
    ordered = filter_recordings(filters, sort=sort)
    totals = summary.totals(filters) or recording_totals(ordered)
    annotated: QuerySet[Recording] = ordered.only(*LIST_COLUMNS).annotate(held=held_exists(Recording))
    count = totals["count"]
    pages = max(1, -(-count // per_page))
    number = min(max(1, number), pages)
    start, stop = (number - 1) * per_page, min(number * per_page, count)
    if start > count - stop:
        rows = list(annotated.reverse()[count - stop : count - start])
        rows.reverse()
    else:
        rows = list(annotated[start:stop])
    return RecordingPage(rows=rows, number=number, num_pages=pages, totals=totals)


def storage_per_day(
    *, days: int = 30, today: date | None = None, summary: Summary | None = None
) -> list[dict[str, Any]]:
    """MB and count of recordings (not gone) started on each of the last ``days`` days (UTC), oldest
    first, zeros kept: from the kept figures, no query of the recordings table."""
    summary = summary or current_summary()
    today = today or timezone.now().astimezone(UTC).date()
    first = today - timedelta(days=days - 1)
    per_day = {first + timedelta(days=i): {"size_mb": 0.0, "count": 0} for i in range(days)}
    for day, _kind, _status, gone, count, size, _secs in summary.buckets:
        if gone or day is None:
            continue
        slot = per_day.get(date.fromisoformat(day))
        if slot is not None:
            slot["size_mb"] += size
            slot["count"] += count
    return [{"day": day, **figures} for day, figures in per_day.items()]


def known_rooms(summary: Summary | None = None) -> list[tuple[str, str]]:
    """(room id, name) of the rooms that have recordings, for the filter's choices."""
    return list((summary or current_summary()).rooms)


def known_participants(summary: Summary | None = None) -> list[str]:
    """Names of the participants that have recordings (resolved by the sync), for the filter's
    suggestions: the participant filter matches a name as well as an id."""
    return list((summary or current_summary()).participants)


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


def filter_compositions(*, session_id: str = "", hold: str = "") -> QuerySet[Composition]:
    """Local compositions, newest first (the model's order), of one session when given, held or not
    held when asked; each carries ``held`` (a legal hold covers it)."""
    compositions = Composition.objects.annotate(held=held_exists(Composition))
    if hold:
        compositions = compositions.filter(held=hold == "held")
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
    summary = current_summary()
    totals = summary.totals(RecordingFilters()) or {}
    in_progress = list(
        Composition.objects.filter(
            gone_upstream=False,
            stalled_at__isnull=True,
            status__in=[Composition.Status.ENQUEUED, Composition.Status.PROCESSING],
        ).order_by("-created_at")[:20]
    )
    return {
        "recordings_synced_today": Recording.objects.filter(first_seen_at__gte=today).count(),
        "total_recordings": totals.get("count", 0),
        "total_size_mb": round(totals.get("size_mb", 0.0), 3),
        "compositions_in_progress": in_progress,
        "compositions_stalled": Composition.objects.filter(gone_upstream=False, stalled_at__isnull=False)
        .exclude(status=Composition.Status.COMPLETED)
        .count(),
        "last_sync": summary.last_sync,
    }
