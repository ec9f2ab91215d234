"""Checks behind ``/healthz``: the database, the Celery broker and the Telnyx API.

Each check answers ``(ok, detail)`` where ``detail`` is a sentence safe to show anyone: it never
contains the API key, a password from a URL, or a stack trace.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection
from kombu import Connection

from dashboard.models import WorkerHeartbeat


@dataclass(frozen=True, slots=True)
class Check:
    ok: bool
    detail: str
    millis: int

    def as_dict(self) -> dict[str, object]:
        return {"ok": self.ok, "detail": self.detail, "ms": self.millis}


def _timed(func) -> Check:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    ok, detail = func()
    return Check(ok, detail, round((time.perf_counter() - started) * 1000))


def _database() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return False, f"The database did not answer: {type(exc).__name__}."
    return True, f"{connection.vendor} answered."


def _broker_name(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme == "filesystem":
        return "the embedded filesystem broker"
    return f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}"


def _broker() -> tuple[bool, str]:
    # The same settings the Celery app was configured from.
    url = settings.CELERY_BROKER_URL
    try:
        with Connection(
            url, transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS, connect_timeout=2
        ) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
            with conn.channel() as channel:
                # A cheap round trip: declaring the default queue works on Redis and on the filesystem.
                channel.queue_declare(queue=settings.CELERY_TASK_DEFAULT_QUEUE, passive=False)
    except Exception as exc:
        return False, f"The broker ({_broker_name(url)}) did not answer: {type(exc).__name__}."
    try:
        beat = WorkerHeartbeat.objects.order_by("-last_seen").first()
    except Exception:
        beat = None  # the database check reports that failure
    seen = f" Last worker heartbeat from {beat.hostname} at {beat.last_seen:%H:%M:%S} UTC." if beat else ""
    return True, f"The broker ({_broker_name(url)}) accepted a connection.{seen}"


def _telnyx() -> tuple[bool, str]:
    from dashboard.telnyx import get_client
    from dashboard.telnyx.errors import AuthenticationError, TelnyxError

    if not settings.TELNYX_API_KEY:
        return False, "TELNYX_API_KEY is not set."
    try:
        get_client().list_rooms(page=1, page_size=1)
    except AuthenticationError:
        return False, "Telnyx is reachable but refused the API key."
    except TelnyxError as exc:
        return False, f"Telnyx did not answer as expected: {exc.message}"
    return True, f"Telnyx at {urlsplit(settings.TELNYX_API_BASE_URL).netloc} accepted the API key."


def run_checks() -> dict[str, Check]:
    return {"database": _timed(_database), "broker": _timed(_broker), "telnyx": _timed(_telnyx)}
