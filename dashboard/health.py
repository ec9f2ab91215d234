"""Checks behind ``/healthz`` (load balancers) and ``/healthz/detail`` (signed-in staff).

Two sets, with different audiences:

- ``readiness_checks()``: the database and the Celery broker, each on a fresh connection, all within
  ``READINESS_DEADLINE_SECS``. No Telnyx call: a slow or unreachable Telnyx must not take web
  processes out of a load balancer's rotation (pages already fall back to the last known data).
  Callers show anonymous visitors only ok/fail per check.
- ``detail_checks()``: the same plus Telnyx reachability, probed by a dedicated client with short
  timeouts and no retries, all within ``DETAIL_DEADLINE_SECS``; ``detail`` sentences may name hosts
  and ports, so only staff see them.

Each check runs in its own daemon thread and is given up on (reported as failed) at the deadline, so
a hung dependency costs a health request at most the deadline. A given-up thread is left to finish on
its own: every call it makes has its own (short) timeout. ``detail`` never contains the API key, a
password from a URL, or a stack trace.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.db import connection, connections
from django.utils import timezone
from kombu import Connection

from dashboard.models import WorkerHeartbeat
from dashboard.telnyx import AuthenticationError, TelnyxClient, TelnyxError

READINESS_DEADLINE_SECS = 0.8
DETAIL_DEADLINE_SECS = 1.0
# Per-call timeouts, below the deadlines so a check usually reports its own reason.
_BROKER_TIMEOUT_SECS = 0.5
_TELNYX_TIMEOUT_SECS = 0.7
# Every open overview polls the system card: they share one Telnyx probe per this many seconds.
_TELNYX_PROBE_REMEMBERED_SECS = 10

CheckFunc = Callable[[], tuple[bool, str]]


@dataclass(frozen=True, slots=True)
class Check:
    ok: bool
    detail: str
    millis: int

    def as_dict(self) -> dict[str, object]:
        return {"ok": self.ok, "detail": self.detail, "ms": self.millis}


@dataclass(frozen=True, slots=True)
class WorkerSeen:
    hostname: str
    last_seen: datetime
    seconds_ago: int

    def as_dict(self) -> dict[str, object]:
        return {
            "hostname": self.hostname,
            "last_seen": self.last_seen.isoformat(),
            "seconds_ago": self.seconds_ago,
        }


def _database() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return False, f"The database did not answer: {type(exc).__name__}."
    finally:
        # Runs in a check thread: its connection is that thread's own; do not leave it open.
        connections.close_all()
    return True, f"{connection.vendor} answered."


def _broker_name(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme == "filesystem":
        return "the embedded filesystem broker"
    return f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}"


def _broker() -> tuple[bool, str]:
    # The same settings the Celery app was configured from.
    url = settings.CELERY_BROKER_URL
    options = {**settings.CELERY_BROKER_TRANSPORT_OPTIONS, "socket_timeout": _BROKER_TIMEOUT_SECS}
    try:
        with Connection(url, transport_options=options, connect_timeout=_BROKER_TIMEOUT_SECS) as conn:
            conn.ensure_connection(
                max_retries=1,
                interval_start=0,
                interval_step=0,
                timeout=_BROKER_TIMEOUT_SECS,  # type: ignore[arg-type]  # kombu takes seconds as a float; its stubs say int
            )
            with conn.channel() as channel:
                # A cheap round trip: declaring the default queue works on Redis and on the filesystem.
                channel.queue_declare(queue=settings.CELERY_TASK_DEFAULT_QUEUE, passive=False)  # type: ignore[attr-defined]  # every transport's channel has it; the stubs' StdChannel does not
    except Exception as exc:
        return False, f"The broker ({_broker_name(url)}) did not answer: {type(exc).__name__}."
    return True, f"The broker ({_broker_name(url)}) accepted a connection."


def _telnyx() -> tuple[bool, str]:
    """Telnyx's answer to one small probe, shared by every viewer for a few seconds."""
    if not settings.TELNYX_API_KEY:
        return False, "TELNYX_API_KEY is not set."
    account = f"{settings.TELNYX_API_BASE_URL}|{settings.TELNYX_API_KEY}".encode()
    key = f"health:telnyx:{hashlib.sha256(account).hexdigest()[:16]}"
    remembered = cache.get(key)
    if remembered is not None:
        return bool(remembered[0]), str(remembered[1])
    answer = _probe_telnyx()
    cache.set(key, answer, _TELNYX_PROBE_REMEMBERED_SECS)
    return answer


def _probe_telnyx() -> tuple[bool, str]:
    where = urlsplit(settings.TELNYX_API_BASE_URL).netloc
    # Not the shared client: its timeouts and retries are sized for pages and tasks (up to a minute).
    probe = TelnyxClient(
        settings.TELNYX_API_KEY,
        settings.TELNYX_API_BASE_URL,
        connect_timeout=_TELNYX_TIMEOUT_SECS,
        read_timeout=_TELNYX_TIMEOUT_SECS,
        max_retries=0,
        max_connections=1,
    )
    try:
        probe.list_rooms(page=1, page_size=1)
    except AuthenticationError:
        return False, f"Telnyx at {where} is reachable but refused the API key."
    except TelnyxError as exc:
        return False, f"Telnyx at {where} did not answer as expected: {exc.message}"
    finally:
        probe.close()
    return True, f"Telnyx at {where} accepted the API key."


def _run_within(checks: dict[str, CheckFunc], deadline_secs: float) -> dict[str, Check]:
    """Run every check at once, each in a daemon thread; a check still running at the deadline fails."""
    started = time.perf_counter()
    results: dict[str, tuple[bool, str, float]] = {}

    def run(name: str, func: CheckFunc) -> None:
        try:
            ok, detail = func()
        except Exception as exc:  # a check reports problems; it must never take the endpoint down
            ok, detail = False, f"The check failed: {type(exc).__name__}."
        results[name] = (ok, detail, time.perf_counter())

    threads = [
        threading.Thread(target=run, args=(name, func), name=f"healthz-{name}", daemon=True)
        for name, func in checks.items()
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, started + deadline_secs - time.perf_counter()))
    out: dict[str, Check] = {}
    for name in checks:
        if name in results:
            ok, detail, finished = results[name]
            out[name] = Check(ok, detail, round((finished - started) * 1000))
        else:
            out[name] = Check(
                False,
                f"{name.capitalize()} did not answer within {deadline_secs:g} s.",
                round((time.perf_counter() - started) * 1000),
            )
    return out


def readiness_checks() -> dict[str, Check]:
    """Database and broker, for ``/healthz``: answers within ``READINESS_DEADLINE_SECS``."""
    return _run_within({"database": _database, "broker": _broker}, READINESS_DEADLINE_SECS)


def detail_checks() -> dict[str, Check]:
    """Database, broker and Telnyx, for staff: answers within ``DETAIL_DEADLINE_SECS``."""
    return _run_within({"database": _database, "broker": _broker, "telnyx": _telnyx}, DETAIL_DEADLINE_SECS)


def recent_workers(limit: int = 5) -> list[WorkerSeen]:
    """The Celery workers that reported in most recently, newest first."""
    now = timezone.now()
    return [
        WorkerSeen(beat.hostname, beat.last_seen, max(0, round((now - beat.last_seen).total_seconds())))
        for beat in WorkerHeartbeat.objects.order_by("-last_seen")[:limit]
    ]
