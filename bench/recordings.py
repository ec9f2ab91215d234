"""Benchmark the recordings side: the page, the sync, the download.

Prints:
- ``/recordings/`` median and p95 time, with and without filters, next to Django admin's changelist of
  the same model in the same run (as a ratio), and SQL queries per page, with 100,000 local recordings;
- a full sync of 10,000 recordings from the sandbox, then the API calls and time of the following
  no-change sync (as a ratio of the full one);
- a 500 MB download through the dashboard (a real gunicorn process) next to a direct download from the
  sandbox, the throughput ratio, and the web process's peak memory.

    .venv/bin/python bench/recordings.py [--runs 30] [--local 100000] [--download-mb 500]

It starts its own sandbox. The database is a throwaway SQLite file under a temporary directory, or,
when ``DATABASE_URL`` is set, that database (PostgreSQL): its recordings tables are emptied first, so
point it at a benchmark database, never a production one.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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


def fill_local(total: int) -> None:
    from recordings.models import Recording

    have = Recording.objects.count()
    rng = random.Random(6)  # noqa: S311
    now = datetime.now(UTC)
    rooms = [(f"bench-room-{i:04d}", f"0000{i:04d}-0000-4000-8000-000000000000") for i in range(200)]
    batch = []
    for i in range(have, total):
        name, room_id = rooms[i % len(rooms)]
        started = now - timedelta(seconds=rng.random() * 30 * 86400)
        batch.append(
            Recording(
                telnyx_id=f"bench-{i:08d}",
                room_id=room_id,
                room_name=name,
                session_id=f"s-{i // 4:08d}",
                participant_id=f"p-{i // 2:08d}",
                type="video" if i % 2 else "audio",
                status="completed",
                codec="h264" if i % 2 else "opus",
                size_mb=round(rng.random() * 50, 3),
                duration_secs=rng.randint(30, 3600),
                started_at=started,
                ended_at=started + timedelta(minutes=30),
            )
        )
        if len(batch) == 5000:
            Recording.objects.bulk_create(batch)
            batch = []
    Recording.objects.bulk_create(batch)


def bench_pages(runs: int) -> None:
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client

    from recordings.models import Recording

    user = User.objects.filter(username="bench-admin").first() or User.objects.create_superuser(
        "bench-admin", password=BENCH_PASSWORD
    )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    room = Recording.objects.values_list("room_id", flat=True).first()
    week_ago = (datetime.now(UTC) - timedelta(days=7)).date().isoformat()
    admin_week_ago = (datetime.now(UTC) - timedelta(days=7)).replace(hour=0, minute=0, second=0).isoformat()
    pages = {
        "/recordings/": ("/recordings/", "/admin/recordings/recording/"),
        "/recordings/ filtered": (
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
        "/recordings/ page 40": ("/recordings/?page=40", "/admin/recordings/recording/?p=40"),
    }

    def measure(url: str) -> tuple[float, float, int]:
        client.get(url)  # warm
        queries: list[str] = []

        def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
        return statistics.median(times), _percentile(times, 0.95), len(queries)

    print(
        f"\n## Pages ({Recording.objects.count():,} local recordings, {runs} runs each, {connection.vendor})"
    )
    print(
        f"{'page':24} {'median ms':>10} {'p95 ms':>8} {'SQL':>4} | "
        f"{'admin med':>10} {'admin p95':>10} {'SQL':>4} | ratio"
    )
    for label, (ours, admin) in pages.items():
        med, p95, q = measure(ours)
        amed, ap95, aq = measure(admin)
        print(
            f"{label:24} {med:10.1f} {p95:8.1f} {q:4d} | "
            f"{amed:10.1f} {ap95:10.1f} {aq:4d} | {med / amed:5.2f}"
        )


def bench_download(sandbox, size_mb: int, var_dir: str) -> None:  # type: ignore[no-untyped-def]
    import httpx
    import psutil

    from dashboard.telnyx import get_client
    from recordings.models import Recording
    from recordings.services import sync_recordings

    sandbox.set_settings(recording_bytes=size_mb * 1_000_000, recording_processing_secs=0)
    client = get_client()
    room = client.create_room(unique_name=f"bench-download-{int(time.time())}", enable_recording=True)
    joined = sandbox.join(room.id, "bench")
    sandbox.leave(joined["id"])
    time.sleep(0.5)
    sync_recordings()
    recording = Recording.objects.filter(room_id=room.id, type="video").first()
    assert recording is not None and recording.status == "completed", recording

    port = _free_port()
    env = {**os.environ, "DASHBOARD_VAR_DIR": var_dir}
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "gunicorn", "dashboard.wsgi", "-b", f"127.0.0.1:{port}", "-w", "1",
         "--threads", "4", "--timeout", "300", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        web = httpx.Client(base_url=base, timeout=120)
        login = web.get("/accounts/login/")
        token = login.cookies.get("csrftoken")
        response = web.post(
            "/accounts/login/",
            data={"username": "bench-admin", "password": BENCH_PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Referer": f"{base}/accounts/login/"},
        )
        assert response.status_code in (200, 302) and "sessionid" in web.cookies, response.status_code

        # Warm the worker (imports, the Telnyx client's pool) with a small ranged read first.
        warm = web.get(f"/recordings/{recording.telnyx_id}/download", headers={"Range": "bytes=0-1023"})
        assert warm.status_code == 206, warm.status_code
        proc = psutil.Process(server.pid)  # gunicorn's arbiter; the worker is its child

        def tree_rss() -> int:
            return proc.memory_info().rss + sum(c.memory_info().rss for c in proc.children(recursive=True))

        baseline = tree_rss()
        peak = [baseline]
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                try:
                    rss = proc.memory_info().rss + sum(
                        c.memory_info().rss for c in proc.children(recursive=True)
                    )
                except psutil.Error:
                    return
                peak[0] = max(peak[0], rss)
                time.sleep(0.02)

        def timed(fetch) -> tuple[float, int]:  # type: ignore[no-untyped-def]
            started = time.perf_counter()
            received = 0
            with fetch() as stream:
                assert stream.status_code == 200, stream.status_code
                for chunk in stream.iter_bytes(1 << 20):
                    received += len(chunk)
            return time.perf_counter() - started, received

        fresh = client.get_recording(recording.telnyx_id).download_url
        direct = httpx.Client(timeout=120)
        direct_secs, direct_bytes = timed(lambda: direct.stream("GET", fresh))
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        ours_secs, ours_bytes = timed(
            lambda: web.stream("GET", f"/recordings/{recording.telnyx_id}/download")
        )
        stop.set()
        sampler.join()
        assert ours_bytes == direct_bytes, (ours_bytes, direct_bytes)
        mb = ours_bytes / 1_000_000
        print(f"\n## Download ({mb:,.0f} MB video recording)")
        print(f"direct from sandbox:  {direct_secs:6.2f} s  {mb / direct_secs:8.1f} MB/s")
        print(f"through dashboard:    {ours_secs:6.2f} s  {mb / ours_secs:8.1f} MB/s")
        print(f"throughput ratio dashboard/direct: {direct_secs / ours_secs:.2f}")
        print(
            f"web processes (gunicorn arbiter + 1 worker) RSS: {baseline / 1e6:.1f} MB before, "
            f"peak {peak[0] / 1e6:.1f} MB "
            f"(+{(peak[0] - baseline) / 1e6:.1f} MB)"
        )
    finally:
        server.terminate()
        server.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="requests per page kind (default 30)")
    parser.add_argument("--local", type=int, default=100_000, help="local recordings for the page timings")
    parser.add_argument("--sync", type=int, default=10_000, help="recordings in the sandbox for the sync")
    parser.add_argument("--download-mb", type=int, default=500)
    args = parser.parse_args()

    from sandbox.testing import SandboxProcess

    with (
        tempfile.TemporaryDirectory(prefix="bench-recordings-") as var_dir,
        SandboxProcess(api_key="KEYBENCHRECORDINGS", churn=0, recording_processing=0) as sandbox,
    ):
        _setup_django(var_dir, sandbox)
        from recordings.models import Composition, Recording, SyncRun

        for model in (Recording, Composition, SyncRun):
            model.objects.all().delete()
        bench_sync(sandbox, args.sync)
        fill_local(args.local)
        bench_pages(args.runs)
        bench_download(sandbox, args.download_mb, var_dir)


if __name__ == "__main__":
    main()
