"""Benchmark the event path and the live console on events.

Prints:
- the receiver's p50/p95 at a steady 200 signed events/s, beside ``GET /healthz`` at the same rate
  (the anchor: the same gunicorn, as the README runs it, on loopback);
- event-to-visible latency: a sandbox join until the console's table poll shows it (receiver, broker,
  worker and the table read; an open browser adds up to one poll period, LIVE_EVENTS_POLL_SECS),
  alone and just behind a backlog of other events (``--backlog``, 1,000);
- Telnyx calls per minute for one live session watched by 1 and by 20 consoles, on events and,
  for comparison, polling (no public key);
- the 50-person participant table: bytes as sent (plain and gzip) and the view's own time, beside
  two anchors read by the same client (times drift on a shared machine, the ratios less).

    .venv/bin/python bench/webhooks.py [--rate 200] [--secs 5] [--window 30] [--services]
    .venv/bin/python bench/webhooks.py --only receiver --passes 2 --worker   # one part of it
    .venv/bin/python bench/webhooks.py --table-only [--reads 200]   # the table alone, in seconds

Everything runs under a temporary directory with its own sandbox, gunicorn and Celery worker, bound to
127.0.0.1, and is stopped at the end.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import json
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.stack import PASSWORD, Stack, dashboard_env, pct, setup_django  # noqa: E402

KEY_SEED = "bench-webhooks"


def _signer() -> Any:
    from nacl.signing import SigningKey

    return SigningKey(hashlib.sha256(f"webhooks:{KEY_SEED}".encode()).digest())


def _event(event_type: str, **payload: Any) -> bytes:
    data = {
        "record_type": "event",
        "event_type": event_type,
        "id": str(uuid.uuid4()),
        "occurred_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "payload": payload,
    }
    return json.dumps({"data": data}, separators=(",", ":")).encode()


def _signed(key: Any, body: bytes) -> dict[str, str]:
    stamp = str(int(time.time()))
    signature = key.sign(stamp.encode() + b"|" + body).signature
    return {
        "telnyx-timestamp": stamp,
        "telnyx-signature-ed25519": base64.b64encode(signature).decode(),
        "Content-Type": "application/json",
    }


def _login(base: str) -> Any:
    import httpx

    web = httpx.Client(base_url=base, timeout=30)
    token = web.get("/accounts/login/").cookies.get("csrftoken")
    web.post(
        "/accounts/login/",
        data={"username": "bench-mod", "password": PASSWORD, "csrfmiddlewaretoken": token},
        headers={"Referer": base + "/accounts/login/"},
    )
    assert "sessionid" in web.cookies
    return web


def receiver_at_rate(base: str, rate: int, secs: float, label: str = "") -> None:
    import httpx

    key = _signer()
    total = int(rate * secs)
    client = httpx.Client(base_url=base, timeout=10, limits=httpx.Limits(max_connections=64))

    def paced(make: Any) -> tuple[list[float], int]:
        start = time.perf_counter() + 0.2
        times: list[float] = []
        errors = 0
        lock = threading.Lock()

        def one(i: int) -> None:
            nonlocal errors
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            began = time.perf_counter()
            try:
                ok = make().status_code == 200
            except httpx.HTTPError:  # a timeout (10 s) counts as a failure, with its time
                ok = False
            with lock:
                times.append((time.perf_counter() - began) * 1000)
                errors += not ok

        with ThreadPoolExecutor(max_workers=48) as pool:
            list(pool.map(one, range(total)))
        return times, errors

    def post() -> Any:
        body = _event("video.room.participant.joined", room_id="bench", session_id="bench-s",
                      participant_id=str(uuid.uuid4()), context="bench")  # fmt: skip
        return client.post("/webhooks/telnyx", content=body, headers=_signed(key, body))

    events, event_errors = paced(post)  # first: on a fresh server, the first pass is its cold start
    anchor, anchor_errors = paced(lambda: client.get("/healthz"))
    print(f"Receiver at {rate} events/s for {secs:.0f} s ({total} requests each; gunicorn gthread 2x8)"
          f"{label}")  # fmt: skip
    print(f"  GET /healthz (anchor)   p50 {pct(anchor, 0.5):6.1f} ms  p95 {pct(anchor, 0.95):6.1f} ms"
          f"  non-200: {anchor_errors}")  # fmt: skip
    print(f"  POST /webhooks/telnyx   p50 {pct(events, 0.5):6.1f} ms  p95 {pct(events, 0.95):6.1f} ms"
          f"  non-200: {event_errors}")  # fmt: skip


def _post_backlog(base: str, count: int) -> None:
    """``count`` signed joins in other sessions, posted as fast as 16 connections go: work queued
    ahead of the join being timed."""
    import httpx

    key = _signer()
    batch = uuid.uuid4().hex[:8]
    with (
        httpx.Client(base_url=base, timeout=30, limits=httpx.Limits(max_connections=16)) as client,
        ThreadPoolExecutor(max_workers=16) as pool,
    ):

        def post(n: int) -> None:
            body = _event("video.room.participant.joined", room_id="bench-backlog",
                          session_id=f"backlog-{batch}-{n % 20}", participant_id=f"{batch}-{n}")  # fmt: skip
            client.post("/webhooks/telnyx", content=body, headers=_signed(key, body))

        list(pool.map(post, range(count)))


def clean_slate() -> None:
    """No events and no queued tasks left by an earlier part or run (the receiver's bursts run
    without a worker; ``--services`` reuses the database and the Redis db): a latency run must not
    wait behind them."""
    from django.conf import settings

    from dashboard.celery import app
    from webhooks.models import LiveSession, WebhookEvent

    with app.connection_for_write() as connection:
        for queue in settings.CELERY_WORKER_QUEUES:
            connection.default_channel.queue_purge(queue)
    WebhookEvent.objects.all().delete()
    LiveSession.objects.all().delete()


def event_to_visible(base: str, sandbox: Any, runs: int, backlog: int = 0) -> None:
    from dashboard.telnyx import get_client

    web = _login(base)
    room = get_client().create_room(
        unique_name=f"bench-latency-{backlog}",
        max_participants=50,
        webhook_event_url=base + "/webhooks/telnyx",
    )
    anchor = sandbox.join(room.id, "anchor")
    session_id = anchor["session_id"]
    url = f"/sessions/{session_id}/"
    headers = {"HX-Request": "true", "HX-Target": "participant-table"}
    latencies = []
    for i in range(runs):
        name = f"late-{backlog}-{i}"
        if backlog:
            _post_backlog(base, backlog)
        began = time.perf_counter()
        sandbox.join(room.id, name)
        while time.perf_counter() - began < 60:
            body = web.get(url, headers=headers).text
            if f'data-name="{name}"' in body:
                latencies.append((time.perf_counter() - began) * 1000)
                break
            time.sleep(0.02)
    behind = f", each just behind {backlog} other events" if backlog else ""
    print(
        f"\nEvent to visible in the console's table ({len(latencies)}/{runs} joins seen{behind}, "
        "read every 20 ms)"
    )
    p50, p95 = pct(latencies, 0.5), pct(latencies, 0.95)
    print(f"  p50 {p50:6.0f} ms  p95 {p95:6.0f} ms  max {max(latencies):6.0f} ms (+ up to one browser poll)")


def calls_per_minute(base: str, sandbox: Any, room_id: str, session_id: str, consoles: int, secs: float,
                     poll: float) -> float:  # fmt: skip
    import httpx

    webs = [_login(base) for _ in range(consoles)]
    url = f"/sessions/{session_id}/"
    headers = {"HX-Request": "true", "HX-Target": "participant-table"}
    sandbox.clear_request_counts()
    stop = time.monotonic() + secs

    failures: list[str] = []

    def watch(web: httpx.Client) -> None:
        while time.monotonic() < stop:
            began = time.monotonic()
            try:
                if web.get(url, headers=headers).status_code >= 400:
                    failures.append("an error status")
            except httpx.HTTPError as exc:
                failures.append(f"{type(exc).__name__} after {time.monotonic() - began:.1f} s")
            time.sleep(poll)

    with ThreadPoolExecutor(max_workers=consoles) as pool:
        list(pool.map(watch, webs))
    calls = sum(
        n for op, by in sandbox.request_counts().items() if op.startswith("GET ") for n in by.values()
    )
    if failures:
        print(f"  ({len(failures)} console reads failed: {', '.join(sorted(set(failures)))})")
    return calls * 60 / secs


def calls_in_mode(base: str, sandbox: Any, window: float, *, events: bool) -> None:
    """Telnyx calls per minute for 1 and 20 consoles on one live session: on events (a reconcile
    every 15 s, read every 1 s) or polling (no key: every 3 s)."""
    from dashboard.telnyx import get_client

    hook = {"webhook_event_url": base + "/webhooks/telnyx"} if events else {}
    room = get_client().create_room(unique_name=f"bench-{'watch' if events else 'polled'}", **hook)
    session_id = sandbox.join(room.id, "watched")["session_id"]
    poll = 1.0 if events else 3.0
    if events:
        time.sleep(2)  # its events applied
        print(f"\nTelnyx calls per minute, one live session, {window:.0f} s per line")
    mode = "events  (reconcile 15 s)," if events else "polling (no key, 3 s),   "
    for consoles in (1, 20):
        rate = calls_per_minute(base, sandbox, room.id, session_id, consoles, window, poll)
        print(f"  {mode} {consoles:2d} console(s) reading every {poll:.0f} s: {rate:5.1f}/min")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--secs", type=float, default=5.0)
    parser.add_argument("--window", type=float, default=30.0, help="seconds watched per console count")
    parser.add_argument("--latency-runs", type=int, default=15)
    parser.add_argument(
        "--backlog",
        type=int,
        default=1000,
        help="events posted just before each join of the second latency part",
    )
    parser.add_argument("--skip-receiver", action="store_true", help="leave out the 200 events/s part")
    parser.add_argument(
        "--only", choices=("receiver", "latency", "calls", "table"), help="run one part of the benchmark"
    )
    parser.add_argument(
        "--passes", type=int, default=1, help="bursts on one server (the first: its cold start)"
    )
    parser.add_argument(
        "--worker",
        action="store_true",
        help="a Celery worker applies the events during the receiver's bursts",
    )
    parser.add_argument("--table-only", action="store_true", help="only the 50-person table (no servers)")
    parser.add_argument("--reads", type=int, default=50, help="reads of the table (and of the anchor)")
    parser.add_argument(
        "--services",
        action="store_true",
        help="keep DATABASE_URL and REDIS_URL from the environment (PostgreSQL and Redis, as in production)",
    )
    args = parser.parse_args()

    from sandbox.testing import SandboxProcess

    with (
        tempfile.TemporaryDirectory(prefix="bench-webhooks-") as var_dir,
        SandboxProcess(api_key="KEYBENCHWEBHOOKS", churn=0, key_seed=KEY_SEED) as sandbox,
    ):
        env = dashboard_env(
            var_dir, sandbox, services=args.services, TELNYX_WEBHOOK_PUBLIC_KEY=sandbox.webhook_public_key
        )
        setup_django("bench-mod", "Moderator")

        if args.table_only or args.only == "table":
            table_size(sandbox, reads=args.reads)
            return

        if not args.skip_receiver and args.only in (None, "receiver"):
            clean_slate()
            stack = Stack(env, worker=args.worker)
            try:
                for n in range(args.passes):
                    label = f", pass {n + 1} of {args.passes}" if args.passes > 1 else ""
                    receiver_at_rate(stack.base, args.rate, args.secs, label)
            finally:
                stack.stop()
        if args.only == "receiver":
            return

        if args.only in (None, "latency", "calls"):
            clean_slate()
            stack = Stack(env, worker=True)
            try:
                if args.only in (None, "latency"):
                    event_to_visible(stack.base, sandbox, args.latency_runs)
                    if args.backlog:
                        event_to_visible(stack.base, sandbox, max(3, args.latency_runs // 3), args.backlog)
                if args.only in (None, "calls"):
                    calls_in_mode(stack.base, sandbox, args.window, events=True)
            finally:
                stack.stop()
        if args.only in (None, "calls"):
            env["TELNYX_WEBHOOK_PUBLIC_KEY"] = ""
            stack = Stack(env, worker=False)
            try:
                calls_in_mode(stack.base, sandbox, args.window, events=False)
            finally:
                stack.stop()
        if args.only is None:
            table_size(sandbox, reads=args.reads)


def table_size(sandbox: Any, reads: int) -> None:
    """The 50-person table as a moderator's browser gets it (a full render: no ``v``, so never the
    204 of an unchanged table), and the view's own time (no Telnyx call: the shared snapshot is
    fresh), beside two anchors read in turns with it by the same client: ``GET /healthz`` (database
    and broker checks) and a signed-in ``GET /accounts/login/`` (session and user, then a redirect)."""
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.test import Client
    from django.test.utils import setup_test_environment

    from dashboard.telnyx import get_client

    setup_test_environment()
    settings.ALLOWED_HOSTS = ["testserver"]
    settings.TELNYX_WEBHOOK_PUBLIC_KEY = ""
    settings.LIVE_SESSION_POLL_SECS = 60.0
    browser = Client()
    browser.force_login(User.objects.get(username="bench-mod"))
    room = get_client().create_room(unique_name="bench-fifty", max_participants=50)
    for i in range(50):
        sandbox.join(room.id, f"participant-{i:02d}")
    session_id = get_client().get_room(room.id).active_session_id
    headers = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "participant-table"}
    url = f"/sessions/{session_id}/"
    first = browser.get(url, **headers)
    assert first.status_code == 200, first.status_code
    assert first.content.count(b"<tr id=") == 50, "the table does not show the 50 people"
    body = first.content
    reads_of = {  # the table and two anchors, read in turns so drift touches all alike
        "table": (lambda: browser.get(url, **headers), 200),
        "GET /healthz": (lambda: browser.get("/healthz"), 200),
        "GET /accounts/login/ (signed in: a redirect)": (lambda: browser.get("/accounts/login/"), 302),
    }
    for _ in range(5):
        for read, _status in reads_of.values():
            read()
    wall: dict[str, list[float]] = {name: [] for name in reads_of}
    cpu: dict[str, list[float]] = {name: [] for name in reads_of}  # this process: steadier when busy
    sandbox.clear_request_counts()
    for _ in range(reads):
        for name, (read, status) in reads_of.items():
            began, began_cpu = time.perf_counter(), time.process_time()
            response = read()
            wall[name].append((time.perf_counter() - began) * 1000)
            cpu[name].append((time.process_time() - began_cpu) * 1000)
            assert response.status_code == status, (name, response.status_code)
    calls = sandbox.request_count()
    print("\nParticipant table, 50 people present (moderator)")
    print(f"  size      {len(body) / 1024:5.1f} KiB plain, {len(gzip.compress(body)) / 1024:5.1f} KiB gzip")
    table = pct(wall["table"], 0.5)
    for name in reads_of:
        line = (
            f"  {'own time' if name == 'table' else 'anchor':9} p50 {pct(wall[name], 0.5):5.1f} ms"
            f"  p95 {pct(wall[name], 0.95):5.1f} ms  cpu p50 {pct(cpu[name], 0.5):5.1f} ms"
        )
        if name == "table":
            print(f"{line}  ({calls} Telnyx calls, {reads} reads)")
        else:
            print(f"{line}  {name}: the table is {table / pct(wall[name], 0.5):4.2f}x")


if __name__ == "__main__":
    main()
