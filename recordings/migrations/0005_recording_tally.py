"""The recordings' figures kept by the database: ``RecordingTally`` and the triggers that feed it.

Every insert, update or delete of a recording appends what it changed (per UTC day, type, status
and gone flag; per room id and name; per participant name) in the writer's own transaction, so the
figures need no re-adding of the whole table after a change. PostgreSQL: one statement-level
trigger per event, reading the statement's transition tables (one INSERT per statement, however
many rows). SQLite: row-level triggers (its writers take turns). The table is added up once here, after the
triggers exist (in the same transaction on PostgreSQL).
"""

# ruff: noqa: S608 - every name in these statements is a constant of this module; no value is spliced in.

from django.db import migrations, models
from django.utils import timezone

RECORDINGS = "recordings_recording"
TALLY = "recordings_recordingtally"
TALLY_COLUMNS = (
    "day, type, status, gone_upstream, room_id, room_name, participant, count, size_bytes, duration_secs"
)
SIGNED_COLUMNS = (
    "started_at, type, status, gone_upstream, size_mb, duration_secs, room_id, room_name, participant_context"
)


def _pg_add_up(signed: str) -> str:
    """INSERT the sums of ``signed`` (recordings, each with ``n`` = +1 or -1) per bucket, per room and
    per participant name."""
    return f"""
        INSERT INTO {TALLY} ({TALLY_COLUMNS})
        SELECT day, type, status, gone_upstream, room_id, room_name, participant, SUM(n),
               CASE WHEN GROUPING(day) = 0 THEN SUM(n * bytes) ELSE 0 END,
               CASE WHEN GROUPING(day) = 0 THEN SUM(n * secs) ELSE 0 END
        FROM (
            SELECT n, (started_at AT TIME ZONE 'UTC')::date AS day, type, status, gone_upstream,
                   room_id, COALESCE(room_name, '') AS room_name,
                   NULLIF(participant_context, '') AS participant,
                   COALESCE(ROUND(size_mb * 1000000)::bigint, 0) AS bytes,
                   COALESCE(duration_secs, 0) AS secs
            FROM ({signed}) AS signed
        ) AS changed
        GROUP BY GROUPING SETS ((day, type, status, gone_upstream), (room_id, room_name), (participant))
        HAVING (GROUPING(participant) = 1 OR participant IS NOT NULL)
           AND (SUM(n) <> 0 OR (GROUPING(day) = 0 AND (SUM(n * bytes) <> 0 OR SUM(n * secs) <> 0)))"""


_PG_INSERTED = _pg_add_up(f"SELECT 1 AS n, {SIGNED_COLUMNS} FROM recordings_new")
_PG_UPDATED = _pg_add_up(
    f"SELECT -1 AS n, {SIGNED_COLUMNS} FROM recordings_old "
    f"UNION ALL SELECT 1, {SIGNED_COLUMNS} FROM recordings_new"
)
_PG_DELETED = _pg_add_up(f"SELECT -1 AS n, {SIGNED_COLUMNS} FROM recordings_old")
PG_CREATE = f"""
CREATE FUNCTION recordings_tally_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN {_PG_INSERTED};
    ELSIF TG_OP = 'UPDATE' THEN {_PG_UPDATED};
    -- The last recordings gone (whatever deleted the figures first): nothing is left to count.
    ELSIF TG_OP = 'DELETE' AND NOT EXISTS (SELECT 1 FROM {RECORDINGS}) THEN DELETE FROM {TALLY};
    ELSIF TG_OP = 'DELETE' THEN {_PG_DELETED};
    ELSE DELETE FROM {TALLY};  -- TRUNCATE
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER recordings_tally_insert AFTER INSERT ON {RECORDINGS}
    REFERENCING NEW TABLE AS recordings_new
    FOR EACH STATEMENT EXECUTE FUNCTION recordings_tally_changes();
CREATE TRIGGER recordings_tally_update AFTER UPDATE ON {RECORDINGS}
    REFERENCING OLD TABLE AS recordings_old NEW TABLE AS recordings_new
    FOR EACH STATEMENT EXECUTE FUNCTION recordings_tally_changes();
CREATE TRIGGER recordings_tally_delete AFTER DELETE ON {RECORDINGS}
    REFERENCING OLD TABLE AS recordings_old
    FOR EACH STATEMENT EXECUTE FUNCTION recordings_tally_changes();
CREATE TRIGGER recordings_tally_truncate AFTER TRUNCATE ON {RECORDINGS}
    FOR EACH STATEMENT EXECUTE FUNCTION recordings_tally_changes();
"""
PG_DROP = f"""
DROP TRIGGER IF EXISTS recordings_tally_insert ON {RECORDINGS};
DROP TRIGGER IF EXISTS recordings_tally_update ON {RECORDINGS};
DROP TRIGGER IF EXISTS recordings_tally_delete ON {RECORDINGS};
DROP TRIGGER IF EXISTS recordings_tally_truncate ON {RECORDINGS};
DROP FUNCTION IF EXISTS recordings_tally_changes();
"""
PG_RECOUNT = [
    f"DELETE FROM {TALLY}",
    _pg_add_up(f"SELECT 1 AS n, {SIGNED_COLUMNS} FROM {RECORDINGS}"),
]


def _sqlite_bucket(row: str, sign: int) -> str:
    """VALUES of one recording's bucket row (``row``: NEW or OLD)."""
    minus = "-" if sign < 0 else ""
    return (
        f"VALUES (date({row}.started_at), {row}.type, {row}.status, {row}.gone_upstream, NULL, NULL, NULL, "
        f"{sign}, {minus}COALESCE(CAST(ROUND({row}.size_mb * 1000000) AS INTEGER), 0), "
        f"{minus}COALESCE({row}.duration_secs, 0))"
    )


def _sqlite_room(row: str, sign: int) -> str:
    return (
        f"VALUES (NULL, NULL, NULL, NULL, {row}.room_id, COALESCE({row}.room_name, ''), NULL, {sign}, 0, 0)"
    )


def _sqlite_participant(row: str, sign: int) -> str:
    return (
        f"SELECT NULL, NULL, NULL, NULL, NULL, NULL, {row}.participant_context, {sign}, 0, 0 "
        f"WHERE {row}.participant_context <> ''"
    )


def _sqlite_trigger(name: str, event: str, rows: list[str], when: str = "") -> str:
    into = f"INSERT INTO {TALLY} ({TALLY_COLUMNS})"
    body = "".join(f"{into} {row};\n" for row in rows)
    condition = f" WHEN {when}" if when else ""
    return f"CREATE TRIGGER {name} AFTER {event} ON {RECORDINGS}{condition} BEGIN\n{body}END"


def _changed(*columns: str) -> str:
    return " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns)


SQLITE_CREATE = [
    _sqlite_trigger(
        "recordings_tally_insert",
        "INSERT",
        [_sqlite_bucket("NEW", 1), _sqlite_room("NEW", 1), _sqlite_participant("NEW", 1)],
    ),
    _sqlite_trigger(
        "recordings_tally_delete",
        "DELETE",
        [_sqlite_bucket("OLD", -1), _sqlite_room("OLD", -1), _sqlite_participant("OLD", -1)],
        when=f"EXISTS (SELECT 1 FROM {RECORDINGS})",
    ),
    # The last recording gone: nothing is left to count, whatever happened to the figures before
    # (a flush deletes every table, in any order).
    f"""CREATE TRIGGER recordings_tally_emptied AFTER DELETE ON {RECORDINGS}
        WHEN NOT EXISTS (SELECT 1 FROM {RECORDINGS}) BEGIN DELETE FROM {TALLY}; END""",
    _sqlite_trigger(
        "recordings_tally_update",
        "UPDATE OF started_at, type, status, gone_upstream, size_mb, duration_secs",
        [_sqlite_bucket("OLD", -1), _sqlite_bucket("NEW", 1)],
        when=_changed("started_at", "type", "status", "gone_upstream", "size_mb", "duration_secs"),
    ),
    _sqlite_trigger(
        "recordings_tally_update_room",
        "UPDATE OF room_id, room_name",
        [_sqlite_room("OLD", -1), _sqlite_room("NEW", 1)],
        when="OLD.room_id IS NOT NEW.room_id "
        "OR COALESCE(OLD.room_name, '') IS NOT COALESCE(NEW.room_name, '')",
    ),
    _sqlite_trigger(
        "recordings_tally_update_participant",
        "UPDATE OF participant_context",
        [_sqlite_participant("OLD", -1), _sqlite_participant("NEW", 1)],
        when=_changed("participant_context"),
    ),
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS recordings_tally_{name}"
    for name in ("insert", "delete", "emptied", "update", "update_room", "update_participant")
]
SQLITE_RECOUNT = [
    f"DELETE FROM {TALLY}",
    f"""INSERT INTO {TALLY} ({TALLY_COLUMNS})
        SELECT date(started_at), type, status, gone_upstream, NULL, NULL, NULL, COUNT(*),
               COALESCE(SUM(CAST(ROUND(size_mb * 1000000) AS INTEGER)), 0), COALESCE(SUM(duration_secs), 0)
        FROM {RECORDINGS} GROUP BY 1, 2, 3, 4""",
    f"""INSERT INTO {TALLY} ({TALLY_COLUMNS})
        SELECT NULL, NULL, NULL, NULL, room_id, COALESCE(room_name, ''), NULL, COUNT(*), 0, 0
        FROM {RECORDINGS} GROUP BY 5, 6""",
    f"""INSERT INTO {TALLY} ({TALLY_COLUMNS})
        SELECT NULL, NULL, NULL, NULL, NULL, NULL, participant_context, COUNT(*), 0, 0
        FROM {RECORDINGS} WHERE participant_context <> '' GROUP BY 7""",
]


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_CREATE, params=None)
    else:
        for sql in SQLITE_CREATE:
            schema_editor.execute(sql, params=None)


def drop_triggers(apps, schema_editor):
    for sql in [PG_DROP] if schema_editor.connection.vendor == "postgresql" else SQLITE_DROP:
        schema_editor.execute(sql, params=None)


def add_up(apps, schema_editor):
    """The figures of the rows already there, and the one summary row."""
    recount = PG_RECOUNT if schema_editor.connection.vendor == "postgresql" else SQLITE_RECOUNT
    for sql in recount:
        schema_editor.execute(sql, params=None)
    apps.get_model("recordings", "RecordingSummary").objects.update_or_create(
        pk=1, defaults={"refreshed_at": timezone.now()}
    )


class Migration(migrations.Migration):
    dependencies = [
        ("recordings", "0004_list_order_indexes_and_summary"),
    ]

    operations = [
        migrations.CreateModel(
            name="RecordingTally",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField(null=True)),
                ("type", models.CharField(max_length=10, null=True)),
                ("status", models.CharField(max_length=20, null=True)),
                ("gone_upstream", models.BooleanField(null=True)),
                ("room_id", models.CharField(max_length=64, null=True)),
                ("room_name", models.CharField(max_length=255, null=True)),
                ("participant", models.CharField(max_length=255, null=True)),
                ("count", models.BigIntegerField(default=0)),
                ("size_bytes", models.BigIntegerField(default=0)),
                ("duration_secs", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.AddIndex(
            model_name="recordingtally",
            index=models.Index(fields=["participant"], name="rec_tally_participant_idx"),
        ),
        migrations.RemoveField(model_name="recordingsummary", name="buckets"),
        migrations.RemoveField(model_name="recordingsummary", name="rooms"),
        migrations.RemoveField(model_name="recordingsummary", name="latest_recording_id"),
        migrations.RemoveField(model_name="recordingsummary", name="latest_gone_at"),
        migrations.RemoveField(model_name="recordingsummary", name="latest_sync_run_id"),
        migrations.AddField(
            model_name="recordingsummary",
            name="folded_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(create_triggers, drop_triggers, elidable=False),
        migrations.RunPython(add_up, migrations.RunPython.noop, elidable=False),
    ]
