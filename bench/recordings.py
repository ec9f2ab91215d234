"""Benchmark the recordings list: first page, last page, size sort and a filtered page.

Prints, at 10,000, 100,000 and 1,000,000 local recordings (spread over 90 days, with rows gone from
Telnyx and rows still processing), the median time and SQL queries of each ``/recordings/`` page next
to Django admin's changelist of the same model in the same run, as an Admin-role (not superuser)
account; optionally (``--sync N``) a full sync of N recordings from the sandbox and the no-change sync
after it. The 500 MB download is ``bench/downloads.py``.

    DATABASE_URL=postgres://…/perf .venv/bin/python bench/recordings.py [--runs 3] \\
        [--sizes 10000,100000,1000000] [--keep] [--new-rows 100]

Ours and admin's requests alternate, so load that comes and goes on the machine weighs on both.
``--new-rows N`` also times, at each size, what N recordings written by the sync's upsert cost the
figures: the refresh that follows a sync, and the first page after new rows (no refresh between).

It starts its own sandbox. The database is a throwaway SQLite file under a temporary directory, or,
when ``DATABASE_URL`` is set, that database (PostgreSQL): its recordings tables are emptied first
(``--keep``: the rows already there are kept and only topped up, so a million rows are built once
across runs), so point it at a benchmark database, never a production one.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
BENCH_PASSWORD = "bench-password-123"  # noqa: S105 - a throwaway user in a throwaway database
sys.path.insert(0, str(ROOT))


def _setup_django(var_dir: str, sandbox) -> None:  # type: ignore[no-untyped-def]
    os.environ["DASHBOARD_VAR_DIR"] = var_dir
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
    os.environ["DJANGO_HTTPS"] = "0"
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ["DASHBOARD_HASHED_STATIC"] = "0"  # no collectstatic step for a benchmark
    os.environ.pop("REDIS_URL", None)
    os.environ["TELNYX_API_KEY"] = sandbox.api_key
    os.environ["TELNYX_API_BASE_URL"] = sandbox.base_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "dashboard.settings"
    os.environ.setdefault("DASHBOARD_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))]


def bench_sync(sandbox, count: int) -> None:  # type: ignore[no-untyped-def]
    from recordings.services import sync_recordings

    sessions = count // 4 // 50  # 50 rooms, 2 participants, audio + video
    seeded = sandbox.seed(rooms=50, sessions_per_room=max(10, sessions), participants_per_session=2)
    sandbox.clear_request_counts()
    started = time.perf_counter()
    full = sync_recordings()
    full_secs = time.perf_counter() - started
    full_calls = sandbox.request_count()
    sandbox.clear_request_counts()
    started = time.perf_counter()
    again = sync_recordings()
    again_secs = time.perf_counter() - started
    again_calls = sandbox.request_count()
    print(f"\n## Sync ({seeded['recordings']:,} recordings in the sandbox)")
    print(
        f"full sync:      {full_secs:7.2f} s  {full_calls:4d} API calls  ({full.kind}, {full.created:,} new)"
    )
    print(
        f"no-change sync: {again_secs:7.2f} s  {again_calls:4d} API calls  "
        f"({again.kind}, {again.created} new)"
    )
    print(f"time ratio no-change/full: {again_secs / full_secs:.3f}")


ROOMS = [(f"bench-room-{i:04d}", f"0000{i:04d}-0000-4000-8000-000000000000") for i in range(200)]


def _bench_row(i: int, rng: random.Random, now: datetime) -> dict[str, object]:
    """One recording as real data has them: spread over 90 days (whole seconds, so some start at the
    same instant), about 3% gone from Telnyx and 2% still processing (no size or duration yet)."""
    name, room_id = ROOMS[i % len(ROOMS)]
    started = (now - timedelta(seconds=int(rng.random() * 90 * 86400))).replace(microsecond=0)
    roll = rng.random()
    gone = roll < 0.03
    processing = 0.03 <= roll < 0.05
    return {
        "telnyx_id": f"00000000-be4c-4000-8000-{i:012x}",
        "room_id": room_id,
        "room_name": name,
        "session_id": f"s-{i // 4:08d}",
        "participant_id": f"p-{i // 2:08d}",
        "type": "video" if i % 2 else "audio",
        "status": "processing" if processing else "completed",
        "codec": "h264" if i % 2 else "opus",
        "size_mb": None if processing else round(rng.random() * 50, 3),
        "duration_secs": None if processing else rng.randint(30, 3600),
        "started_at": started,
        "ended_at": None if processing else started + timedelta(minutes=30),
        "gone_upstream": gone,
        "gone_upstream_at": now - timedelta(days=1) if gone else None,
    }


def fill_local(total: int) -> None:
    """Top the local recordings up to ``total`` rows: COPY on PostgreSQL, big bulk inserts elsewhere."""
    from django.db import connection
    from django.utils import timezone

    from recordings.models import Recording

    have = Recording.objects.count()
    if have >= total:
        return
    rng = random.Random(6 + have)  # noqa: S311
    now = datetime.now(UTC)
    started = time.perf_counter()
    if connection.vendor == "postgresql":
        columns = [*_bench_row(0, rng, now).keys(), "download_url", "record_type", "extra",
                   "first_seen_at", "last_seen_at", "last_synced_at", "archive_file", "archive_sha256",
                   "archive_error"]  # fmt: skip
        table = Recording._meta.db_table
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            for i in range(have, total):
                row = _bench_row(i, rng, now)
                copy.write_row([*row.values(), "", "room_recording", "{}", now, now, now, "", "", ""])
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {table}")
    else:
        batch: list[Recording] = []
        for i in range(have, total):
            batch.append(Recording(**_bench_row(i, rng, now), last_synced_at=timezone.now()))
            if len(batch) == 20_000:
                Recording.objects.bulk_create(batch)
                batch = []
        Recording.objects.bulk_create(batch)
    print(f"(seeded {total - have:,} rows in {time.perf_counter() - started:.1f} s)", flush=True)
    _after_seed()


def _after_seed() -> None:
    """Let the dashboard bring any kept figures up to date, as the sync does after a run."""
    try:
        from recordings.services.totals import refresh_totals
    except ImportError:
        try:
            from recordings.services.browse import refresh_totals  # type: ignore[attr-defined,no-redef]
        except ImportError:
            return  # the code before kept figures existed
    started = time.perf_counter()
    refresh_totals()
    print(f"(refresh_totals() took {(time.perf_counter() - started) * 1000:.0f} ms)", flush=True)


def bench_pages(runs: int) -> dict[str, tuple[float, float, int, int]]:
    """Median ms and SQL queries of each page kind, ours beside the admin changelist's."""
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client

    from dashboard.roles import Role
    from recordings.models import Recording

    # A real Admin-role account (not a superuser): its permission checks cost what a team's do.
    user = User.objects.filter(username="bench-admin").first()
    if user is None:
        from django.contrib.auth.models import Group

        user = User.objects.create_user("bench-admin", password=BENCH_PASSWORD, is_staff=True)
        user.groups.add(Group.objects.get(name=Role.ADMIN.value))
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    live = Recording.objects.filter(gone_upstream=False).count()
    everything = Recording.objects.count()
    last = max(1, -(-live // 50))  # our page size is 50, admin's 100 (its ?p= counts from 0)
    admin_last = max(1, -(-everything // 100)) - 1
    room = Recording.objects.values_list("room_id", flat=True).first()
    week_ago = (datetime.now(UTC) - timedelta(days=7)).date().isoformat()
    admin_week_ago = (datetime.now(UTC) - timedelta(days=7)).replace(hour=0, minute=0, second=0).isoformat()
    pages = {
        "first page": ("/recordings/", "/admin/recordings/recording/"),
        "last page": (f"/recordings/?page={last}", f"/admin/recordings/recording/?p={admin_last}"),
        "size sort": ("/recordings/?sort=-size", "/admin/recordings/recording/?o=-7"),
        "filtered": (
            f"/recordings/?room={room}&type=video&min_duration=600&started_from={week_ago}&sort=-size",
            "/admin/recordings/recording/?"
            + urlencode(
                {
                    "room_id": room,
                    "type__exact": "video",
                    "duration_secs__gte": 600,
                    "started_at__gte": admin_week_ago,
                    "o": "-7",
                }
            ),
        ),
    }

    def queries(url: str) -> int:
        client.get(url)  # warm
        sent: list[str] = []

        def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
            sent.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return len(sent)

    def measure(ours: str, admin: str) -> tuple[float, float]:
        """Median ms of each, their requests alternating."""
        times: dict[str, list[float]] = {ours: [], admin: []}
        for _ in range(runs):
            for url in (ours, admin):
                started = time.perf_counter()
                client.get(url)
                times[url].append((time.perf_counter() - started) * 1000)
        return statistics.median(times[ours]), statistics.median(times[admin])

    print(
        f"\n## Pages ({everything:,} local recordings, {live:,} not gone; median of {runs}; "
        f"{connection.vendor})",
        flush=True,
    )
    print(f"{'page':12} {'ours ms':>9} {'SQL':>4} | {'admin ms':>9} {'SQL':>4} | ours/admin")
    results = {}
    for label, (ours, admin) in pages.items():
        q, aq = queries(ours), queries(admin)
        med, amed = measure(ours, admin)
        results[label] = (med, amed, q, aq)
        print(f"{label:12} {med:9.1f} {q:4d} | {amed:9.1f} {aq:4d} | {med / amed:6.2f}", flush=True)
    return results


LOCAL_ONLY = ("telnyx_id", "room_name", "gone_upstream", "gone_upstream_at")


def bench_new_rows(count: int, repeats: int = 3) -> None:
    """What ``count`` new recordings, written by the sync's upsert, cost the kept figures: the refresh
    the sync runs after it, and (rows written again, no refresh between) the first page after them."""
    from django.contrib.auth.models import User
    from django.test import Client

    from dashboard.telnyx import RoomRecording
    from recordings.models import Recording
    from recordings.services.sync_rows import upsert_recordings

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(username="bench-admin"))
    rng = random.Random(Recording.objects.count())  # noqa: S311
    now = datetime.now(UTC)

    def write_new() -> None:
        base = rng.randrange(1 << 40)
        items = []
        for n in range(count):
            row = _bench_row(base + n, rng, now)
            fields = {k: v for k, v in row.items() if k not in LOCAL_ONLY}
            items.append(RoomRecording(id=f"00000000-be4d-4000-8000-{base + n:012x}", **fields))
        upsert_recordings(items)

    try:
        from recordings.services.totals import refresh_totals
    except ImportError:
        try:
            from recordings.services.browse import refresh_totals  # type: ignore[attr-defined,no-redef]
        except ImportError:
            return
    refresh: list[float] = []
    page: list[float] = []
    client.get("/recordings/")  # whatever was pending is added up before the first sample
    for _ in range(repeats):
        write_new()
        started = time.perf_counter()
        refresh_totals()
        refresh.append((time.perf_counter() - started) * 1000)
        write_new()
        started = time.perf_counter()
        response = client.get("/recordings/")
        page.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
        refresh_totals()
    print(
        f"{count} new rows (sync upsert), median of {repeats}: refresh_totals() "
        f"{statistics.median(refresh):8.1f} ms; first page after them {statistics.median(page):8.1f} ms",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="requests per page kind (default 3)")
    parser.add_argument(
        "--sizes", default="10000,100000,1000000", help="local recordings for the page timings, ascending"
    )
    parser.add_argument(
        "--sync", type=int, default=0, help="recordings in the sandbox for the sync (0: skip)"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the recordings already in DATABASE_URL, only top them up"
    )
    parser.add_argument(
        "--new-rows", type=int, default=0, help="also time the figures after N new rows (0: skip)"
    )
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]

    from sandbox.testing import SandboxProcess

    with (
        tempfile.TemporaryDirectory(prefix="bench-recordings-") as var_dir,
        SandboxProcess(api_key="KEYBENCHRECORDINGS", churn=0, recording_processing=0) as sandbox,
    ):
        _setup_django(var_dir, sandbox)
        from django.db import connection

        from recordings.models import Composition, Recording, SyncRun

        if args.keep:
            print(f"(kept {Recording.objects.count():,} recordings)", flush=True)
        elif connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                tables = ", ".join(m._meta.db_table for m in (Recording, Composition, SyncRun))
                cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        else:
            for model in (Recording, Composition, SyncRun):
                model.objects.all().delete()
        if args.sync:
            bench_sync(sandbox, args.sync)
        summary = {}
        for size in sizes:
            fill_local(size)
            summary[size] = bench_pages(args.runs)
            if args.new_rows:
                bench_new_rows(args.new_rows)
        print("\n## Summary: ours / admin (ms), first page at each size")
        for size, results in summary.items():
            med, amed, q, aq = results["first page"]
            print(f"{size:>9,}: {med:7.1f} / {amed:7.1f} ms  ({med / amed:.2f}x admin), {q} / {aq} queries")
        first, last = sizes[0], sizes[-1]
        growth = summary[last]["first page"][0] / summary[first]["first page"][0]
        print(f"first page at {last:,} rows / at {first:,} rows: {growth:.2f}x")


if __name__ == "__main__":
    main()
