"""Benchmark the dashboard while Telnyx hangs or is slow, served exactly as in production.

Starts the sandbox and gunicorn as the README runs it (gthread, 2 workers × 8 threads) on loopback
ports, with a throwaway SQLite database and cache under a temporary ``DASHBOARD_VAR_DIR``; makes an
Admin with ``manage.py adduser`` and logs in with a session cookie; seeds a room with a live session
and loads each page once (so there is last known data). Then:

(a) freezes the sandbox (every API answer held for a minute) and keeps 50 live-console polls
    (``GET /sessions/<id>/`` with ``HX-Target: participant-table``) going against it, while timing
    ``/rooms/``, the overview, a room page, ``/audit/`` and ``/healthz``;
(b) restarts gunicorn on a fresh cache and, with 3 s of injected latency, times the overview.

Prints a table of medians over ``--tries`` (targets: ≤ 4 s for pages that need Telnyx, ≤ 1 s for
the rest). A request still unanswered after ``--max-wait`` seconds is shown as "> N s".

    .venv/bin/python bench/degraded.py [--tries 3] [--polls 50] [--code DIR]

``--code`` runs gunicorn from another checkout (e.g. the code before a change); the sandbox and this
script come from this one. Every process it starts is stopped before it exits.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sandbox.testing import SandboxProcess  # noqa: E402

PASSWORD = "bench-only-password-7f3a"  # noqa: S105 - a throwaway database
SECRET_KEY = "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"  # noqa: S105
HTMX_TABLE = {"HX-Request": "true", "HX-Target": "participant-table"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Dashboard:
    """gunicorn serving the dashboard from ``code`` on a loopback port."""

    code: Path
    env: dict[str, str]
    port: int = field(default_factory=_free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def manage(self, *args: str) -> None:
        subprocess.run(  # noqa: S603 - our own interpreter and manage.py
            [sys.executable, "manage.py", *args], cwd=self.code, env=self.env, check=True, capture_output=True
        )

    def start(self) -> None:
        command = [
            sys.executable, "-m", "gunicorn", "dashboard.wsgi",
            "--worker-class", "gthread", "--workers", "2", "--threads", "8",
            "--bind", f"127.0.0.1:{self.port}", "--graceful-timeout", "2", "--log-level", "warning",
        ]  # fmt: skip
        self.process = subprocess.Popen(  # noqa: S603
            command, cwd=self.code, env=self.env, start_new_session=True
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/accounts/login/", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not start within 30 s")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)  # the arbiter and the workers it forked
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)

    def session(self, max_wait: float) -> httpx.Client:
        """A client logged in as the bench Admin (session cookie)."""
        client = httpx.Client(base_url=self.url, timeout=max_wait)
        page = client.get("/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token, "no CSRF token on the login page"
        answer = client.post(
            "/accounts/login/",
            data={"username": "bench", "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)},
            headers={"Referer": self.url + "/accounts/login/"},
        )
        assert answer.status_code == 302, f"login failed ({answer.status_code})"
        return client


def _timed(client: httpx.Client, path: str, headers: dict[str, str] | None = None) -> float:
    """Seconds to a full answer; ``inf`` when none came within the client's timeout."""
    started = time.monotonic()
    try:
        response = client.get(path, headers=headers)
        if response.status_code != 503:  # /healthz says 503 while Telnyx is down: an answer
            response.raise_for_status()
    except httpx.TimeoutException:
        return float("inf")
    return time.monotonic() - started


def _show(seconds: float, max_wait: float) -> str:
    return f"> {max_wait:g} s" if seconds == float("inf") else f"{seconds:.2f} s"


def _poll_forever(dashboard: Dashboard, session_id: str, stop: threading.Event, max_wait: float) -> None:
    try:
        with closing(dashboard.session(max_wait)) as client:
            while not stop.is_set():
                client.get(f"/sessions/{session_id}/", headers=HTMX_TABLE)
                stop.wait(0.5)
    except httpx.TransportError:
        return  # gunicorn stopped under it: the phase is over


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=3, help="timings per page (median shown)")
    parser.add_argument("--polls", type=int, default=50, help="concurrent hung live-console polls")
    parser.add_argument("--max-wait", type=float, default=90.0, help="give up on a request after this")
    parser.add_argument("--code", type=Path, default=ROOT, help="checkout gunicorn serves from")
    args = parser.parse_args()

    var_dir = Path(tempfile.mkdtemp(prefix="bench-degraded-"))
    rows: list[tuple[str, str, list[float], str]] = []
    dashboard: Dashboard | None = None
    stop = threading.Event()
    pollers: list[threading.Thread] = []
    try:
        with SandboxProcess(api_key="KEYBENCHDEGRADED", churn=0) as sandbox:
            env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
            env.update(
                DASHBOARD_VAR_DIR=str(var_dir),
                DJANGO_SECRET_KEY=SECRET_KEY,
                DJANGO_DEBUG="0",
                DJANGO_HTTPS="0",
                DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
                DASHBOARD_LOG_LEVEL="ERROR",
                TELNYX_API_KEY=sandbox.api_key,
                TELNYX_API_BASE_URL=sandbox.base_url,
                PYTHONPATH=str(args.code.resolve()),
            )
            dashboard = Dashboard(code=args.code.resolve(), env=env)
            dashboard.manage("migrate", "--verbosity", "0")
            dashboard.manage("adduser", "bench", "--role", "admin", "--password", PASSWORD)
            _, _, room = sandbox.request("POST", "/v2/rooms", {"unique_name": "bench-live"})
            room_id = room["data"]["id"]
            sandbox.join(room_id, "alice")
            sandbox.join(room_id, "bob")
            _, _, fresh = sandbox.request("GET", f"/v2/rooms/{room_id}")
            session_id = fresh["data"]["active_session_id"]
            pages = {
                "/rooms/": "Telnyx",
                "/": "Telnyx",
                f"/rooms/{room_id}/": "Telnyx",
                "/audit/": "no Telnyx",
                "/healthz": "no page",
            }

            # (a) Telnyx frozen, live consoles polling it.
            dashboard.start()
            with closing(dashboard.session(args.max_wait)) as client:
                for path in pages:  # remembered data for the banner to show
                    client.get(path)
                client.get(f"/sessions/{session_id}/", headers=HTMX_TABLE)
                sandbox.set_faults(timeout_rate=1.0, timeout_secs=60)
                pollers = [
                    threading.Thread(
                        target=_poll_forever, args=(dashboard, session_id, stop, args.max_wait), daemon=True
                    )
                    for _ in range(args.polls)
                ]
                for poller in pollers:
                    poller.start()
                time.sleep(1.0)  # let the polls take the threads they will take
                for path, kind in pages.items():
                    times = [_timed(client, path) for _ in range(args.tries)]
                    label = (
                        "overview"
                        if path == "/"
                        else ("room page" if path.startswith("/rooms/") and room_id in path else path)
                    )
                    rows.append(("frozen + polls", label, times, "≤ 4 s" if kind == "Telnyx" else "≤ 1 s"))
            stop.set()
            dashboard.stop()
            for poller in pollers:
                poller.join(5)

            # (b) Telnyx slow: 3 s on every answer; a fresh cache (no breaker state, no copies).
            sandbox.clear_faults()
            shutil.rmtree(var_dir / "cache", ignore_errors=True)
            dashboard.port = _free_port()
            dashboard.start()
            with closing(dashboard.session(args.max_wait)) as client:
                sandbox.set_faults(latency_ms=3000)
                times = [_timed(client, "/") for _ in range(args.tries)]
                rows.append(("3 s latency", "overview", times, "≤ 4 s"))
            sandbox.clear_faults()
    finally:
        stop.set()
        if dashboard is not None:
            dashboard.stop()
        shutil.rmtree(var_dir, ignore_errors=True)

    print(f"\ncode: {args.code.resolve()}   tries: {args.tries}   polls: {args.polls}")
    print(f"{'phase':<16} {'page':<10} {'median':>10} {'slowest':>10}  target")
    for phase, page, times, target in rows:
        finite = [t for t in times if t != float("inf")]
        median = statistics.median(times) if len(finite) > len(times) / 2 else float("inf")
        slowest = _show(max(times), args.max_wait)
        print(f"{phase:<16} {page:<10} {_show(median, args.max_wait):>10} {slowest:>10}  {target}")


if __name__ == "__main__":
    main()
