"""Benchmark how soon the dashboard sees a composition complete when no webhook arrives (polling only).

Starts a sandbox, gunicorn, a Celery worker and Celery beat (as the README runs them, no webhook public
key), asks for ``--count`` compositions through the compositions page as a user does, and makes the
sandbox complete each one at its own time, spread from ``--min-secs`` to ``--max-secs`` after it was
asked for (log-spread by default: most compositions are quick, some take minutes). For each it
measures the delay from the moment the sandbox marks it completed to the moment the dashboard's
database shows it completed (the database is read every 50 ms), and prints p50/p95/max beside the
anchor: the delay a poller keeping the schedule exactly (no broker, no worker, no Telnyx latency) would
have. Then the Telnyx GET calls the polling made, per composition and in all (the recordings sync,
which lists compositions too, is set a day apart so that the calls counted are the poller's).

    .venv/bin/python bench/compositions.py [--count 40] [--min-secs 3] [--max-secs 180]
        [--spread log|uniform] [--services]

By default everything runs on SQLite and the filesystem broker under a temporary directory;
``--services`` keeps DATABASE_URL and REDIS_URL from the environment (PostgreSQL and Redis).
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.stack import PASSWORD, Stack, dashboard_env, pct, setup_django  # noqa: E402

USERNAME = "bench-composer"
TARGET_P95_SECS = 30.0


def durations(count: int, low: float, high: float, spread: str, seed: int) -> list[float]:
    """``count`` completion times from ``low`` to ``high`` seconds, evenly spaced on a log or linear
    scale, in a shuffled order (so the creation order says nothing about the duration)."""
    if count == 1:
        values = [high]
    elif spread == "log":
        values = [low * (high / low) ** (i / (count - 1)) for i in range(count)]
    else:
        values = [low + (high - low) * i / (count - 1) for i in range(count)]
    random.Random(seed).shuffle(values)
    return values


def scheduled_delay(completes_after: float) -> float:
    """The anchor: how long after ``completes_after`` seconds a poller that keeps the dashboard's
    schedule to the millisecond sees the completion (first poll at or after it, minus it)."""
    from recordings.services.composition_polls import poll_interval

    elapsed, attempt = poll_interval(0), 0
    while elapsed < completes_after:
        attempt += 1
        elapsed += poll_interval(attempt, elapsed_secs=elapsed)
    return elapsed - completes_after


def create_compositions(
    base: str, sandbox: Any, session_ids: list[str], spread: list[float]
) -> dict[str, Any]:
    """Ask for one composition per entry of ``spread`` through the page, then set its completion in
    the sandbox. Returns {telnyx id: (completes_at Unix time, seconds after its request)}."""
    import httpx

    web = httpx.Client(base_url=base, timeout=30)
    token = web.get("/accounts/login/").cookies.get("csrftoken")
    web.post(
        "/accounts/login/",
        data={"username": USERNAME, "password": PASSWORD, "csrfmiddlewaretoken": token},
        headers={"Referer": base + "/accounts/login/"},
    )
    assert "sessionid" in web.cookies, "the bench user could not sign in"
    planned: dict[str, Any] = {}
    for i, secs in enumerate(spread):
        page = web.get("/compositions/new", params={"session_id": session_ids[i % len(session_ids)]})
        form = {
            "session_id": session_ids[i % len(session_ids)],
            "resolution": "1280x720",
            "layout": "grid",
            "action": "create",
            "csrfmiddlewaretoken": page.cookies.get("csrftoken") or web.cookies.get("csrftoken"),
        }
        asked = time.time()
        answer = web.post("/compositions/new", data=form, headers={"Referer": base + "/compositions/new"})
        if answer.status_code != 302:
            raise SystemExit(f"creating composition {i} answered {answer.status_code}: {answer.text[:500]}")
        telnyx_id = answer.headers["location"].rstrip("/").rsplit("/", 1)[-1]
        completes_in = max(0.0, asked + secs - time.time())
        scheduled = sandbox.schedule_composition(telnyx_id, completes_in=completes_in)
        planned[telnyx_id] = (scheduled["completes_at"], scheduled["completes_at"] - asked)
    return planned


def watch(planned: dict[str, Any], timeout: float) -> dict[str, float]:
    """Read the database every 50 ms until every composition shows completed (or ``timeout``);
    returns {telnyx id: Unix time it was first seen completed}."""
    from django.db import connection

    from recordings.models import Composition

    seen: dict[str, float] = {}
    deadline = time.monotonic() + timeout
    while len(seen) < len(planned) and time.monotonic() < deadline:
        waiting = [t for t in planned if t not in seen]
        done = Composition.objects.filter(telnyx_id__in=waiting, status=Composition.Status.COMPLETED)
        found = list(done.values_list("telnyx_id", flat=True))
        now = time.time()  # shown by now, not shown 50 ms before: the figures are within 50 ms
        for telnyx_id in found:
            seen[telnyx_id] = now
        connection.close()  # a fresh snapshot each read (SQLite and PostgreSQL alike)
        time.sleep(0.05)
    return seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=40, help="compositions asked for")
    parser.add_argument("--min-secs", type=float, default=3.0, help="quickest completion, after the request")
    parser.add_argument("--max-secs", type=float, default=180.0, help="slowest completion, after the request")
    parser.add_argument("--spread", choices=("log", "uniform"), default="log")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument(
        "--services",
        action="store_true",
        help="keep DATABASE_URL and REDIS_URL from the environment (PostgreSQL and Redis, as in production)",
    )
    args = parser.parse_args()
    if args.count < 1 or not 0 < args.min_secs <= args.max_secs:
        parser.error("--count must be >= 1 and 0 < --min-secs <= --max-secs")

    from sandbox.testing import SandboxProcess

    with (
        tempfile.TemporaryDirectory(prefix="bench-compositions-") as var_dir,
        SandboxProcess(api_key="KEYBENCHCOMPOSITIONS", churn=0, tick=0.05) as sandbox,
    ):
        env = dashboard_env(
            var_dir,
            sandbox,
            services=args.services,
            TELNYX_WEBHOOK_PUBLIC_KEY="",  # no events: polling is all there is
            # The recordings sync also lists compositions (once a minute); a day apart, the figures
            # are the poller's alone.
            RECORDINGS_SYNC_INTERVAL_SECS="86400",
        )
        setup_django(USERNAME, "Viewer")
        from recordings.models import Composition
        from recordings.services.sync import sync_recordings

        in_flight = Composition.objects.exclude(status=Composition.Status.COMPLETED).filter(
            gone_upstream=False, stalled_at__isnull=True
        )
        if in_flight.exists():
            print(f"note: {in_flight.count()} compositions of an earlier run are still in flight here; "
                  "their first poll finds them gone (404) and is counted below")  # fmt: skip

        rooms = max(1, math.ceil(args.count / 10))
        sandbox.seed(rooms=rooms, sessions_per_room=10, participants_per_session=2)
        sync_recordings()
        from dashboard.telnyx import get_client

        # This sandbox's sessions (the database may hold an earlier run's under --services).
        session_ids = sorted({r.session_id for r in get_client().iter_recordings(type="video")})
        spread = durations(args.count, args.min_secs, args.max_secs, args.spread, args.seed)

        stack = Stack(env, worker=True, beat=True, log=Path(var_dir) / "stack.log")
        try:
            sandbox.clear_request_counts()
            began = time.time()
            planned = create_compositions(stack.base, sandbox, session_ids, spread)
            created_in = time.time() - began
            seen = watch(planned, timeout=args.max_secs + created_in + 180)
            counts = sandbox.request_counts()
        finally:
            stack.stop()
        if len(seen) < len(planned):
            print("".join(stack.log_path.read_text(errors="replace").splitlines(True)[-40:]))

        report(args, planned, seen, counts, created_in)


def report(args: Any, planned: dict[str, Any], seen: dict[str, float], counts: dict[str, Any],
           created_in: float) -> None:  # fmt: skip
    from recordings.models import Composition

    delays = [seen[t] - planned[t][0] for t in planned if t in seen]
    anchor = [scheduled_delay(after) for _, after in planned.values()]
    gets = {op: sum(by.values()) for op, by in counts.items() if op.startswith("GET /room_compositions")}
    polls = list(
        Composition.objects.filter(telnyx_id__in=list(planned)).values_list("poll_attempts", flat=True)
    )
    total = sum(gets.values())
    n = len(planned)
    print(f"{n} compositions, completing {args.min_secs:g}-{args.max_secs:g} s after the request "
          f"({args.spread}-spread, asked for in {created_in:.1f} s via the page), no webhooks")  # fmt: skip
    print(f"  seen completed: {len(delays)}/{n}")
    if delays:
        print("  delay from the sandbox's completion to the dashboard's database showing it")
        print(f"    measured                 p50 {pct(delays, 0.5):6.2f} s  p95 {pct(delays, 0.95):6.2f} s"
              f"  max {max(delays):6.2f} s   (target: p95 <= {TARGET_P95_SECS:.0f} s)")  # fmt: skip
        print(f"    anchor: schedule exactly p50 {pct(anchor, 0.5):6.2f} s  p95 {pct(anchor, 0.95):6.2f} s"
              f"  max {max(anchor):6.2f} s   (measured p95 / anchor p95: "
              f"{pct(delays, 0.95) / max(pct(anchor, 0.95), 0.001):.2f})")  # fmt: skip
    print(f"  Telnyx GET calls of the poller: {total} in all, {total / n:.2f} per composition")
    for op, calls in sorted(gets.items()):
        print(f"    {op}: {calls}")
    if polls:
        print(f"  polls recorded per composition: mean {sum(polls) / len(polls):.1f}, max {max(polls)}")


if __name__ == "__main__":
    main()
