"""Writing what Telnyx listed into the local rows: compare first, write only what changed, in bulk.

A sync reads every listed record, but a row is written only when it is new, when a field Telnyx
reports differs from the stored one, or when it had been marked gone upstream and is listed again.
``download_url`` is left out of the comparison: Telnyx hands out a fresh, expiring link on every
read, so comparing it would rewrite every completed row on every sync (a download always asks
Telnyx for a fresh link anyway). Names shown in lists and file names (``room_name``,
``participant_context``) are resolved before new rows are inserted (``NameBook``), so a new row is
written once, complete.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import connections, models, router, transaction
from django.utils import timezone

from dashboard.telnyx import NotFoundError, RoomComposition, RoomRecording, TelnyxClient
from recordings.models import Composition, Recording

UPSERT_BATCH = 1000
# Unknown rooms / sessions in one batch above which one walk of the whole list is cheaper than
# one call each.
LIST_ALL_ABOVE = 20

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
_COMPOSITION_TEXT = frozenset(
    {
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
    }
)


def recording_values(item: RoomRecording) -> dict[str, Any]:
    values = {name: getattr(item, name) for name in RECORDING_API_FIELDS}
    for name, value in list(values.items()):
        if value is None and name not in ("size_mb", "duration_secs") and not name.endswith("_at"):
            values[name] = "" if name != "extra" else {}
    return values


def composition_values(item: RoomComposition) -> dict[str, Any]:
    values = {name: getattr(item, name) for name in COMPOSITION_API_FIELDS}
    for name, value in list(values.items()):
        if value is None and name in _COMPOSITION_TEXT:
            values[name] = ""
        if name == "extra" and value is None:
            values[name] = {}
    return values


def _changed(stored: dict[str, Any], fresh: dict[str, Any]) -> bool:
    if stored["gone_upstream"]:
        return True
    return any(stored[name] != value for name, value in fresh.items() if name != "download_url")


@dataclass
class UpsertCounts:
    created: int = 0
    updated: int = 0
    ids: list[str] = field(default_factory=list)

    @property
    def written(self) -> int:
        return self.created + self.updated


class NameBook:
    """Room names and participant contexts for this run, asked of Telnyx once per room / session.

    ``call`` runs a client method (the sync passes its paced, counted caller). Many unknown rooms
    or sessions at once (the first full sync) are read with one walk of ``/rooms`` or
    ``/room_sessions`` (with participants) instead of one call each.
    """

    def __init__(self, client: TelnyxClient, call: Callable[..., Any] | None = None) -> None:
        self.client = client
        self.call: Callable[..., Any] = call or (lambda method, *a, **kw: method(*a, **kw))
        self.rooms: dict[str, str] = {}
        self.participants: dict[str, str] = {}
        self.sessions_read: set[str] = set()
        self.all_rooms_read = False
        self.all_participants_read = False

    def _walk(self, lister: Callable[..., Any], *args: Any, **filters: Any) -> Iterable[Any]:
        number = 1
        while True:
            page = self.call(lister, *args, page=number, page_size=250, **filters)
            yield from page.items
            if not page.items or page.meta.page_number >= page.meta.total_pages:
                return
            number += 1

    def room_names(self, room_ids: set[str]) -> dict[str, str]:
        unknown = {r for r in room_ids if r and r not in self.rooms}
        if unknown:
            for room_id, name in (
                Recording.objects.filter(room_id__in=unknown, room_name__isnull=False)
                .values_list("room_id", "room_name")
                .distinct()
            ):
                self.rooms[room_id] = name or ""
            unknown -= set(self.rooms)
        if unknown and len(unknown) > 3 and not self.all_rooms_read:
            self.all_rooms_read = True
            for room in self._walk(self.client.list_rooms):
                self.rooms[room.id] = room.unique_name or ""
            unknown -= set(self.rooms)
        for room_id in unknown:
            try:
                self.rooms[room_id] = self.call(self.client.get_room, room_id).unique_name or ""
            except NotFoundError:
                self.rooms[room_id] = ""  # a deleted room: looked up, no name to show
        return self.rooms

    def contexts(self, sessions: dict[str, set[str]]) -> dict[str, str]:
        """participant id -> context for the participants of these {session id: participant ids}.

        Many unknown sessions (a first full sync): one walk of ``/room_sessions`` with their
        participants, 250 sessions a call (fewer calls than walking ``/room_participants``: a
        session has at least one participant). A session it did not list (created since) is read
        on its own.
        """
        known = self.participants
        unknown = {
            s
            for s, people in sessions.items()
            if s and s not in self.sessions_read and any(p not in known for p in people)
        }
        if len(unknown) > LIST_ALL_ABOVE and not self.all_participants_read:
            self.all_participants_read = True
            for session in self._walk(self.client.list_sessions, include_participants=True):
                self.sessions_read.add(session.id)
                for person in session.participants or ():
                    known[person.id] = person.context or ""
            unknown -= self.sessions_read
        for session_id in sorted(unknown):
            self.sessions_read.add(session_id)
            try:
                for person in self._walk(self.client.list_session_participants, session_id):
                    known[person.id] = person.context or ""
            except NotFoundError:
                continue
        return known


@dataclass
class RecordingRows:
    """What one page of listed recordings changes: the rows to write, and how many are new."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    counts: UpsertCounts = field(default_factory=UpsertCounts)


def plan_recordings(
    items: Sequence[RoomRecording], *, now: datetime | None = None, names: NameBook | None = None
) -> RecordingRows:
    """Compare listed recordings with the stored rows (one SELECT per batch); names resolved for new ones.

    Reads only: what Telnyx is asked for names happens here, before any write, so a caller can
    write the result in a short transaction (``write_recordings``).
    """
    now = now or timezone.now()
    unique = {item.id: item for item in items}
    ids = sorted(unique)
    plan = RecordingRows(counts=UpsertCounts(ids=ids))
    compared = [name for name in RECORDING_API_FIELDS if name != "download_url"]
    for start in range(0, len(ids), UPSERT_BATCH):
        chunk = ids[start : start + UPSERT_BATCH]
        stored = {
            row["telnyx_id"]: row
            for row in Recording.objects.filter(telnyx_id__in=chunk).values(
                "telnyx_id", "gone_upstream", *compared
            )
        }
        fresh = {telnyx_id: recording_values(unique[telnyx_id]) for telnyx_id in chunk}
        new = [telnyx_id for telnyx_id in chunk if telnyx_id not in stored]
        changed = [t for t in chunk if t in stored and _changed(stored[t], fresh[t])]
        rooms: dict[str, str] = {}
        people: dict[str, str] = {}
        if names is not None and new:
            rooms = names.room_names({fresh[t]["room_id"] for t in new})
            sessions: dict[str, set[str]] = {}
            for t in new:
                sessions.setdefault(fresh[t]["session_id"], set()).add(fresh[t]["participant_id"])
            people = names.contexts(sessions)
        for telnyx_id in sorted([*new, *changed]):
            values = fresh[telnyx_id]
            values["telnyx_id"] = telnyx_id
            values["first_seen_at"] = values["last_seen_at"] = values["last_synced_at"] = now
            values["gone_upstream"] = False
            values["gone_upstream_at"] = None
            values["room_name"] = rooms.get(values["room_id"])
            values["participant_context"] = people.get(values["participant_id"])
            plan.rows.append(values)
        plan.counts.created += len(new)
        plan.counts.updated += len(changed)
    return plan


def write_recordings(plan: RecordingRows) -> None:
    """Insert the planned rows; a row that exists by then is updated, keeping ``first_seen_at`` and names."""
    _upsert_rows(Recording, plan.rows, update_fields=[*RECORDING_API_FIELDS, *_BOOKKEEPING])


def upsert_recordings(
    items: Sequence[RoomRecording], *, now: datetime | None = None, names: NameBook | None = None
) -> UpsertCounts:
    """Insert new recordings and update changed ones by Telnyx id; leave unchanged rows untouched.

    One SELECT per batch reads what is stored; new and changed rows go in with one upsert (one
    statement, many rows) that keeps ``first_seen_at`` and the resolved names, in one transaction.
    Rows are written in id order so two concurrent upserts lock rows in the same order (no
    deadlock); a row inserted meanwhile by another sync is updated, not duplicated.
    """
    plan = plan_recordings(items, now=now, names=names)
    if plan.rows:
        with transaction.atomic():
            write_recordings(plan)
    return plan.counts


def _upsert_rows(
    model: type[Recording] | type[Composition], rows: list[dict[str, Any]], *, update_fields: list[str]
) -> None:
    """``INSERT … ON CONFLICT (telnyx_id) DO UPDATE`` of these value dictionaries, one ``executemany``.

    What ``bulk_create(update_conflicts=True)`` writes, without building a model instance per row
    or compiling each value through the ORM (most of a large sync's time before): only date-times
    and JSON need adapting for the database; the columns a row does not carry get the field's
    default, as a model instance would.
    """
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    given = set().union(*(row.keys() for row in rows))
    defaults = {
        f.column: f.get_db_prep_save(f.get_default(), connection) for f in fields if f.attname not in given
    }
    moments = _Moments(connection.ops.adapt_datetimefield_value)
    adapters: list[tuple[str, str, Callable[[Any], Any] | None]] = []
    for f in fields:
        if f.column in defaults:
            continue
        adapt: Callable[[Any], Any] | None = None
        if isinstance(f, models.DateTimeField):
            adapt = moments.adapt
        elif isinstance(f, models.JSONField):
            adapt = partial(f.get_db_prep_save, connection=connection)
        adapters.append((f.attname, f.column, adapt))
    columns = [column for _, column, _ in adapters] + list(defaults)
    fixed = list(defaults.values())
    update = ", ".join(f"{quote(c)} = EXCLUDED.{quote(c)}" for c in update_fields)
    # Identifiers from the model's own metadata, quoted; every value is a parameter.
    table = quote(model._meta.db_table)
    names = ", ".join(quote(c) for c in columns)
    marks = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT (telnyx_id) DO UPDATE SET {update}"  # noqa: S608
    params = [
        [row[name] if adapt is None or row[name] is None else adapt(row[name]) for name, _, adapt in adapters]
        + fixed
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


class _Moments:
    """Date-times adapted for the database once each: a batch's rows share ``now`` three times
    over, and sessions' recordings share their times."""

    def __init__(self, adapt: Callable[[datetime], Any]) -> None:
        self._adapt = adapt
        self._done: dict[datetime, Any] = {}

    def adapt(self, value: datetime) -> Any:
        try:
            return self._done[value]
        except KeyError:
            adapted = self._done[value] = self._adapt(value)
            return adapted


def upsert_compositions(items: Sequence[RoomComposition], *, now: datetime | None = None) -> UpsertCounts:
    """Like ``upsert_recordings`` (unchanged rows untouched); the dashboard's polling state is kept."""
    now = now or timezone.now()
    unique = {item.id: item for item in items}
    ids = sorted(unique)
    counts = UpsertCounts(ids=ids)
    if not ids:
        return counts
    compared = [name for name in COMPOSITION_API_FIELDS if name != "download_url"]
    stored = {
        row["telnyx_id"]: row
        for row in Composition.objects.filter(telnyx_id__in=ids).values(
            "telnyx_id", "gone_upstream", *compared
        )
    }
    limit = timedelta(seconds=settings.COMPOSITION_DEADLINE_SECS)
    rows = []
    for telnyx_id in ids:
        values = composition_values(unique[telnyx_id])
        if telnyx_id in stored and not _changed(stored[telnyx_id], values):
            continue
        created = values.get("created_at") or now
        values.update(
            telnyx_id=telnyx_id,
            first_seen_at=now,
            last_seen_at=now,
            last_synced_at=now,
            gone_upstream=False,
            gone_upstream_at=None,
            poll_deadline_at=max(created + limit, now)
            if values["status"] != Composition.Status.COMPLETED
            else now + limit,
        )
        rows.append(values)
        if telnyx_id in stored:
            counts.updated += 1
        else:
            counts.created += 1
    if rows:
        with transaction.atomic():
            _upsert_rows(Composition, rows, update_fields=[*COMPOSITION_API_FIELDS, *_BOOKKEEPING])
    return counts
