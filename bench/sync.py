"""Benchmark the recordings sync at scale, beside the official ``telnyx`` SDK in the same run.

Seeds 100,000 recordings in a sandbox (``/_sandbox/seed``), then prints one table:
- the official SDK (``telnyx`` on PyPI) listing every recording, 250 a page: the anchor;
- the dashboard's full sync into an empty database (names resolved, rows written);
- the no-change sync that follows (incremental);
each with seconds, API calls (counted by the sandbox), rows written, and its ratio to the anchor.

    .venv/bin/python bench/sync.py [--recordings 100000] [--profile full-sync.prof]

``--profile`` also runs the full sync under ``cProfile`` (slower: its seconds are not comparable)
and writes the statistics to that file, printing the functions with the most cumulative time.
The database is a throwaway SQLite file in a temporary directory, or, when ``DATABASE_URL`` is
set, that database (PostgreSQL; its recordings tables are emptied first: a benchmark database,
never a production one).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.recordings import _setup_django  # noqa: E402 - after the path is set
from sandbox.testing import SandboxProcess  # noqa: E402


def sdk_listing(sandbox: SandboxProcess) -> tuple[float, int, int]:
    from telnyx import Telnyx

    client = Telnyx(api_key=sandbox.api_key, base_url=sandbox.base_url, max_retries=0)
    sandbox.clear_request_counts()
    started = time.perf_counter()
    listed = sum(1 for _ in client.room_recordings.list(page_size=250))
    return time.perf_counter() - started, sandbox.request_count(), listed


def _empty_tables() -> None:
    from recordings.models import Composition, Recording, SyncLease, SyncRun, SyncWalkPage

    for model in (SyncWalkPage, SyncRun, SyncLease, Recording, Composition):
        model.objects.all().delete()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recordings", type=int, default=100_000)
    parser.add_argument("--profile", metavar="FILE", help="profile the full sync into FILE (cProfile)")
    args = parser.parse_args()
    rooms = 100
    sessions = max(10, args.recordings // 4 // rooms)
    with tempfile.TemporaryDirectory() as var_dir, SandboxProcess(churn=0, tick=0.05) as sandbox:
        seeded = sandbox.seed(rooms=rooms, sessions_per_room=sessions, participants_per_session=2)
        print(f"seeded {seeded['recordings']:,} recordings in {seeded['elapsed_secs']:.1f}s", flush=True)
        _setup_django(var_dir, sandbox)
        if os.environ.get("DATABASE_URL"):
            _empty_tables()
        from recordings.services.sync import sync_recordings

        rows: list[tuple[str, float, int, int, int]] = []
        secs, calls, listed = sdk_listing(sandbox)
        rows.append(("telnyx SDK: list all (anchor)", secs, calls, 0, listed))

        sandbox.clear_request_counts()
        profiler = cProfile.Profile() if args.profile else None
        started = time.perf_counter()
        if profiler is not None:
            profiler.enable()
        full = sync_recordings(full=True)
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(args.profile)
        rows.append(
            (
                "dashboard: full sync",
                time.perf_counter() - started,
                sandbox.request_count(),
                full.rows_written,
                full.seen,
            )
        )

        sandbox.clear_request_counts()
        started = time.perf_counter()
        again = sync_recordings()
        rows.append(
            (
                "dashboard: no-change sync",
                time.perf_counter() - started,
                sandbox.request_count(),
                again.rows_written,
                again.seen,
            )
        )

    if args.profile:
        pstats.Stats(args.profile).sort_stats("cumulative").print_stats(30)
    anchor = rows[0][1]
    full_secs = rows[1][1]
    print(
        f"\n{'':32} {'seconds':>8} {'calls':>6} {'rows written':>13} {'listed':>8} {'× SDK':>7} {'× full':>7}"
    )
    for name, secs, calls, written, seen in rows:
        print(
            f"{name:32} {secs:8.2f} {calls:6d} {written:13,d} {seen:8,d} "
            f"{secs / anchor:7.2f} {secs / full_secs:7.3f}"
        )


if __name__ == "__main__":
    main()
