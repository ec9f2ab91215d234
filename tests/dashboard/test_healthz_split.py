"""`/healthz` for load balancers (fast, no Telnyx, names nothing) and `/healthz/detail` for staff."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from dashboard.models import WorkerHeartbeat

# Generous on purpose: before the split a hung Telnyx held /healthz for over a minute.
ANSWERS_WITHIN_SECS = 5.0


@pytest.fixture
def hung_telnyx(settings) -> Iterator[str]:
    """A TCP server on 127.0.0.1 that accepts connections and never answers; Telnyx points at it."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.2)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept_and_hold() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            held.append(conn)  # never read, never answered

    thread = threading.Thread(target=accept_and_hold, daemon=True)
    thread.start()
    port = server.getsockname()[1]
    settings.TELNYX_API_KEY = "KEY-health-probe-0123456789"
    settings.TELNYX_API_BASE_URL = f"http://127.0.0.1:{port}/v2"
    # The shared client's own settings: what every page used to wait through (15 s × 4 attempts).
    settings.TELNYX_READ_TIMEOUT = 15.0
    settings.TELNYX_MAX_RETRIES = 3
    yield str(port)
    stop.set()
    thread.join(timeout=2)
    for conn in held:
        conn.close()
    server.close()


def _timed_get(client: Client, path: str, **headers: str) -> tuple[object, float]:
    started = time.monotonic()
    response = client.get(path, **headers)
    return response, time.monotonic() - started


@pytest.mark.django_db
def test_healthz_answers_fast_and_asks_nothing_of_a_hung_telnyx(client, hung_telnyx):
    response, elapsed = _timed_get(client, "/healthz")
    assert elapsed < ANSWERS_WITHIN_SECS, f"/healthz took {elapsed:.1f} s"
    body = response.json()
    assert response.status_code == 200, body
    assert body == {"status": "ok", "checks": {"database": {"ok": True}, "broker": {"ok": True}}}


@pytest.mark.django_db
def test_anonymous_healthz_names_no_host_port_url_or_version(client, hung_telnyx, settings):
    settings.CELERY_BROKER_URL = "redis://broker.internal.example:1/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    response, elapsed = _timed_get(client, "/healthz")
    assert elapsed < ANSWERS_WITHIN_SECS, f"/healthz took {elapsed:.1f} s"
    assert response.status_code == 503
    text = response.content.decode()
    for secret in ("127.0.0.1", hung_telnyx, "broker.internal.example", "redis", ":1", "http", "sqlite"):
        assert secret not in text, f"{secret!r} in {text}"
    assert response.json() == {
        "status": "degraded",
        "checks": {"database": {"ok": True}, "broker": {"ok": False}},
    }


@pytest.mark.django_db
def test_healthz_detail_reports_a_hung_telnyx_within_its_deadline(admin_client, hung_telnyx):
    response, elapsed = _timed_get(admin_client, "/healthz/detail")
    assert elapsed < ANSWERS_WITHIN_SECS, f"/healthz/detail took {elapsed:.1f} s"
    body = response.json()
    assert response.status_code == 503, body
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True
    assert body["checks"]["telnyx"]["ok"] is False
    assert "did not answer within" in body["checks"]["telnyx"]["detail"]
    assert "KEY-health-probe" not in response.content.decode()


@pytest.mark.django_db
def test_overview_system_status_does_not_wait_on_a_hung_telnyx(admin_client, hung_telnyx):
    response, elapsed = _timed_get(admin_client, "/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="system-status")
    assert elapsed < ANSWERS_WITHIN_SECS, f"the system status took {elapsed:.1f} s"
    assert response.status_code == 200
    assert "did not answer within" in response.content.decode()


@pytest.mark.django_db
def test_healthz_detail_shows_hosts_and_worker_heartbeats_to_staff(viewer_client, telnyx_sandbox):
    WorkerHeartbeat.objects.create(hostname="celery@worker-7", last_seen=timezone.now(), beats=3)
    response = viewer_client.get("/healthz/detail")
    body = response.json()
    assert response.status_code == 200, body
    assert {name: check["ok"] for name, check in body["checks"].items()} == {
        "database": True,
        "broker": True,
        "telnyx": True,
    }
    assert "127.0.0.1" in body["checks"]["telnyx"]["detail"]
    assert [worker["hostname"] for worker in body["workers"]] == ["celery@worker-7"]
    assert body["workers"][0]["seconds_ago"] >= 0


@pytest.mark.django_db
def test_healthz_detail_is_refused_to_anonymous_and_to_users_without_a_role(client):
    anonymous = client.get("/healthz/detail")
    assert anonymous.status_code == 302
    assert "/accounts/login/" in anonymous["Location"]
    nobody = Client()
    nobody.force_login(User.objects.create_user("no-role", password="x-long-enough-password"))
    assert nobody.get("/healthz/detail").status_code == 403
