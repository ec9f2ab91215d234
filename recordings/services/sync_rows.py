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
from typing import Any

from django.conf import settings
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
    ``/room_participants`` instead of one call each.
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
        """participant id -> context for the participants of these {session id: participant ids}."""
        unknown = {s for s, people in sessions.items() if s and people - self.participants.keys()}
        unknown -= self.sessions_read
        if len(unknown) > LIST_ALL_ABOVE and not self.all_participants_read:
            self.all_participants_read = True
            for person in self._walk(self.client.list_participants):
                self.participants[person.id] = person.context or ""
            self.sessions_read |= unknown
            unknown = set()
        for session_id in sorted(unknown):
            self.sessions_read.add(session_id)
            try:
                for person in self._walk(self.client.list_session_participants, session_id):
                    self.participants[person.id] = person.context or ""
            except NotFoundError:
                continue
        return self.participants


def upsert_recordings(
    items: Sequence[RoomRecording], *, now: datetime | None = None, names: NameBook | None = None
) -> UpsertCounts:
    """Insert new recordings and update changed ones by Telnyx id; leave unchanged rows untouched.

    One SELECT per batch reads what is stored; new rows go in with one INSERT (names resolved
    first when ``names`` is given), changed ones with one upsert that keeps ``first_seen_at`` and
    the resolved names. Rows are written in id order so two concurrent upserts lock rows in the
    same order (no deadlock); a row inserted meanwhile by another sync is updated, not duplicated.
    """
    now = now or timezone.now()
    unique = {item.id: item for item in items}
    ids = sorted(unique)
    counts = UpsertCounts(ids=ids)
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
        rows = [
            Recording(
                telnyx_id=telnyx_id,
                first_seen_at=now,
                last_seen_at=now,
                last_synced_at=now,
                gone_upstream=False,
                gone_upstream_at=None,
                room_name=rooms.get(fresh[telnyx_id]["room_id"]),
                participant_context=people.get(fresh[telnyx_id]["participant_id"]),
                **fresh[telnyx_id],
            )
            for telnyx_id in [*new, *changed]
        ]
        if rows:
            Recording.objects.bulk_create(
                rows,
                update_conflicts=True,
                unique_fields=["telnyx_id"],
                update_fields=[*RECORDING_API_FIELDS, *_BOOKKEEPING],
            )
        counts.created += len(new)
        counts.updated += len(changed)
    return counts


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
        rows.append(
            Composition(
                telnyx_id=telnyx_id,
                first_seen_at=now,
                last_seen_at=now,
                last_synced_at=now,
                poll_deadline_at=max(created + limit, now)
                if values["status"] != Composition.Status.COMPLETED
                else now + limit,
                **values,
            )
        )
        if telnyx_id in stored:
            counts.updated += 1
        else:
            counts.created += 1
    if rows:
        Composition.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["telnyx_id"],
            update_fields=[*COMPOSITION_API_FIELDS, *_BOOKKEEPING],
        )
    return counts
