"""The kept figures of the local recordings: count, size and duration per UTC day, type, status and
gone flag, the rooms that have recordings and the participants' names; what a recordings page and
the overview show beside the rows.

The database keeps them (migration 0005): triggers on the recordings table append what each insert,
update or delete changed to ``RecordingTally``, in the writer's own transaction, whoever writes: the
sync's upsert, a webhook, a deletion, retention, the admin site, any ``QuerySet.update()``. So the
figures are exact at every commit and no page and no sync adds the table up:

- ``read_figures`` reads them, with the latest sync run, in one query (names: the first
  ``PARTICIPANTS_SHOWN`` in order);
- ``refresh_totals`` folds what was appended into one row per bucket and room (after each sync, in a
  task): it costs what changed since the last fold, not the size of the table;
- ``recount_totals`` adds the whole table up again, for repair (the daily task and
  ``manage.py recount_recordings``): after a data-only restore or a hand edit with triggers off.

Appending rather than updating one row per bucket means concurrent writers never wait on each
other for the figures (no hot row, no lock order to get wrong).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from django.db import connection, connections, router, transaction
from django.db.models import F, Func, QuerySet, Subquery, Sum, TextField
from django.db.models.functions import JSONObject
from django.utils import timezone

from recordings.models import Recording, RecordingSummary, RecordingTally, SyncRun
from recordings.services.sync import last_sync_run

KEY = ("day", "type", "status", "gone_upstream", "room_id", "room_name", "participant")
SUMS = ("count", "size_bytes", "duration_secs")
FIGURES = KEY[:-1]  # the key of a bucket or room row (their participant is NULL)
PARTICIPANTS_SHOWN = 500


@dataclass(frozen=True)
class Figures:
    """``buckets``: ``[day (ISO), type, status, gone, count, size_mb, duration_secs]`` per bucket
    that has recordings; ``rooms``: (room id, name) of the rooms that have recordings, by name;
    ``participants``: names of participants that have recordings, case-insensitively sorted."""

    buckets: list[list[Any]]
    rooms: list[tuple[str, str]]
    participants: list[str]
    last_sync: SyncRun | None


class _JSONRows(Func):
    """Every row of the subquery it stands in as one JSON array of arrays: ``json_agg`` on
    PostgreSQL, ``json_group_array`` on SQLite. It adds up the whole subquery, so Django must not
    take it for an aggregate (which would add a GROUP BY)."""

    template = "JSON_GROUP_ARRAY(JSON_ARRAY(%(expressions)s))"
    output_field = TextField()  # SQLite answers text; PostgreSQL's json arrives parsed

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        template = "COALESCE(JSON_AGG(JSON_BUILD_ARRAY(%(expressions)s)), '[]')"
        return self.as_sql(compiler, connection, template=template, **extra_context)


class _JSONColumn(Func):
    """The one column of a subquery (a derived table: it may group, order and limit) as a JSON
    array, in one value."""

    template = "(SELECT JSON_GROUP_ARRAY(listed.%(column)s) FROM %(expressions)s AS listed)"
    output_field = TextField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        template = "(SELECT COALESCE(JSON_AGG(listed.%(column)s), '[]') FROM %(expressions)s AS listed)"
        return self.as_sql(compiler, connection, template=template, **extra_context)


def _sync_run_json() -> JSONObject:
    return JSONObject(**{f.attname: f.attname for f in SyncRun._meta.concrete_fields})


def _sync_run_from(values: dict[str, Any] | None) -> SyncRun | None:
    if not values:
        return None
    fields = {}
    for field in SyncRun._meta.concrete_fields:
        value = field.to_python(values.get(field.attname))
        if isinstance(value, datetime) and timezone.is_naive(value):
            value = value.replace(tzinfo=UTC)  # SQLite's JSON carries UTC without an offset
        fields[field.attname] = value
    return SyncRun(**fields)


def _parsed(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _figure_queries() -> tuple[QuerySet[RecordingTally], QuerySet[Any], QuerySet[SyncRun]]:
    """The bucket and room rows, the first participant names, the latest sync run."""
    figures = RecordingTally.objects.filter(participant__isnull=True)
    # Read in the participant index's order; a name whose recordings are all gone is left out.
    names = (
        RecordingTally.objects.filter(participant__isnull=False)
        .values("participant")
        .annotate(recordings=Sum("count"))
        .filter(recordings__gt=0)
        .order_by("participant")
        .values("participant")[:PARTICIPANTS_SHOWN]
    )
    latest_sync = SyncRun.objects.exclude(outcome=SyncRun.Outcome.SKIPPED).order_by("-started_at", "-id")
    return figures, names, latest_sync


@cache
def _figures_sql(alias: str) -> tuple[str, tuple[Any, ...]]:
    """The one query of ``read_figures``, compiled once per database: its shape never changes, and
    building it through the ORM (a JSON object of every sync-run field) cost more than running it."""
    figures, names, latest_sync = _figure_queries()
    query = (
        RecordingSummary.objects.filter(pk=1)
        .annotate(
            tally=Subquery(figures.annotate(rows=_JSONRows(*map(F, FIGURES + SUMS))).values("rows")),
            names=_JSONColumn(Subquery(names), column="participant"),
            last_sync_values=Subquery(latest_sync.values(json=_sync_run_json())[:1]),
        )
        .values_list("tally", "names", "last_sync_values")
        .query
    )
    sql, params = query.get_compiler(using=alias).as_sql()
    return sql, tuple(params)


def read_figures() -> Figures:
    """The kept figures and the latest sync run (``sync.last_sync_run``'s choice): one query of the
    summary row, whatever was written since the last fold included."""
    connection = connections[router.db_for_read(RecordingSummary)]
    with connection.cursor() as cursor:
        cursor.execute(*_figures_sql(connection.alias))
        row = cursor.fetchone()
    if row is None:  # no summary row (a flushed database): the same figures in three queries
        figures, names, _ = _figure_queries()
        return _figures(
            figures.values_list(*FIGURES, *SUMS),
            names.values_list("participant", flat=True),
            last_sync_run(),
        )
    tally, listed, last_sync = row
    return _figures(_parsed(tally), _parsed(listed), _sync_run_from(_parsed(last_sync)))


def _figures(rows: Any, names: Any, last_sync: SyncRun | None) -> Figures:
    buckets: dict[tuple[Any, ...], list[int]] = {}
    rooms: dict[tuple[str, str], int] = {}
    for day, kind, status, gone, room_id, room_name, count, size, secs in rows:
        if room_id is not None:
            rooms[room_id, room_name or ""] = rooms.get((room_id, room_name or ""), 0) + count
            continue
        day = day.isoformat() if isinstance(day, date) else day
        sums = buckets.setdefault((day, kind, status, bool(gone)), [0, 0, 0])
        sums[0] += count
        sums[1] += size
        sums[2] += secs
    return Figures(
        buckets=[
            [*key, count, size / 1_000_000, secs]
            for key, (count, size, secs) in buckets.items()
            if count or size or secs
        ],
        rooms=sorted(
            (pair for pair, count in rooms.items() if count > 0), key=lambda pair: (pair[1] or "~", pair[0])
        ),
        participants=sorted(names, key=str.casefold),
        last_sync=last_sync,
    )


def refresh_totals() -> None:
    """Fold the kept figures into one row per bucket and room: the rows appended since the last fold
    are deleted and their sums written back, in one transaction (readers see either side of it).

    What a writer appends meanwhile is not deleted (it is not visible to the DELETE yet) and waits
    for the next fold; two folds take turns on the summary row.
    """
    table = connection.ops.quote_name(RecordingTally._meta.db_table)
    with transaction.atomic():
        RecordingSummary.objects.update_or_create(pk=1, defaults={"folded_at": timezone.now()})
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} RETURNING {', '.join(KEY + SUMS)}")  # noqa: S608
            rows = cursor.fetchall()
        folded: dict[tuple[Any, ...], list[int]] = {}
        for *key, count, size, secs in rows:
            sums = folded.setdefault(tuple(key), [0, 0, 0])
            sums[0] += count
            sums[1] += size
            sums[2] += secs
        RecordingTally.objects.bulk_create(
            RecordingTally(**dict(zip(KEY + SUMS, (*key, *sums), strict=True)))
            for key, sums in folded.items()
            if any(sums)
        )


_TALLY = RecordingTally._meta.db_table
_COLUMNS = ", ".join(KEY + SUMS)
_RECORDINGS = Recording._meta.db_table
# The sums of the whole table, as migration 0005's triggers add them up row by row.
_RECOUNT = {
    # One statement, so one snapshot: what a writer commits meanwhile is either in the sums or
    # appended after them, never both.
    "postgresql": [
        f"""WITH dropped AS (DELETE FROM {_TALLY})
        INSERT INTO {_TALLY} ({_COLUMNS})
        SELECT day, type, status, gone_upstream, room_id, room_name, participant, COUNT(*),
               CASE WHEN GROUPING(day) = 0 THEN SUM(bytes) ELSE 0 END,
               CASE WHEN GROUPING(day) = 0 THEN SUM(secs) ELSE 0 END
        FROM (
            SELECT (started_at AT TIME ZONE 'UTC')::date AS day, type, status, gone_upstream,
                   room_id, COALESCE(room_name, '') AS room_name,
                   NULLIF(participant_context, '') AS participant,
                   COALESCE(ROUND(size_mb * 1000000)::bigint, 0) AS bytes, COALESCE(duration_secs, 0) AS secs
            FROM {_RECORDINGS}
        ) AS recordings
        GROUP BY GROUPING SETS ((day, type, status, gone_upstream), (room_id, room_name), (participant))
        HAVING GROUPING(participant) = 1 OR participant IS NOT NULL"""  # noqa: S608
    ],
    # The transaction holds SQLite's one write lock from its start: no writer can come between.
    "sqlite": [
        f"DELETE FROM {_TALLY}",  # noqa: S608
        f"""INSERT INTO {_TALLY} ({_COLUMNS})
        SELECT date(started_at), type, status, gone_upstream, NULL, NULL, NULL, COUNT(*),
               COALESCE(SUM(CAST(ROUND(size_mb * 1000000) AS INTEGER)), 0), COALESCE(SUM(duration_secs), 0)
        FROM {_RECORDINGS} GROUP BY 1, 2, 3, 4""",  # noqa: S608
        f"""INSERT INTO {_TALLY} ({_COLUMNS})
        SELECT NULL, NULL, NULL, NULL, room_id, COALESCE(room_name, ''), NULL, COUNT(*), 0, 0
        FROM {_RECORDINGS} GROUP BY 5, 6""",  # noqa: S608
        f"""INSERT INTO {_TALLY} ({_COLUMNS})
        SELECT NULL, NULL, NULL, NULL, NULL, NULL, participant_context, COUNT(*), 0, 0
        FROM {_RECORDINGS} WHERE participant_context <> '' GROUP BY 7""",  # noqa: S608
    ],
}


def recount_totals() -> None:
    """Add the whole recordings table up again and keep that as the figures (a repair: at a million
    rows it takes seconds; the triggers keep the figures right without it)."""
    now = timezone.now()
    with transaction.atomic():
        RecordingSummary.objects.update_or_create(pk=1, defaults={"refreshed_at": now, "folded_at": now})
        with connection.cursor() as cursor:
            for sql in _RECOUNT[connection.vendor]:
                cursor.execute(sql)
