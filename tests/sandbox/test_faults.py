"""Fault injection: seeded rates, 429 headers, latency, and timeouts that still process the request."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.sandbox.api import api_client


@pytest.fixture
def api(sandbox):
    with api_client(sandbox) as client:
        yield client


def test_rate_and_statuses_are_measurable_and_counted(sandbox, api):
    sandbox.set_faults(rate=0.3, statuses=[429, 503], seed=7)
    statuses = [api.get("/rooms").status_code for _ in range(300)]
    faulted = [s for s in statuses if s != 200]
    assert set(faulted) == {429, 503}
    assert 0.2 < len(faulted) / len(statuses) < 0.4
    counts = sandbox.request_counts()["GET /rooms"]
    assert counts[200] == statuses.count(200)
    assert counts[429] == statuses.count(429) and counts[503] == statuses.count(503)


def test_same_seed_same_faults(sandbox, api):
    runs = []
    for _ in range(2):
        sandbox.set_faults(rate=0.5, seed=42)
        runs.append([api.get("/rooms").status_code for _ in range(40)])
    assert runs[0] == runs[1]


def test_429_carries_retry_after_and_rate_limit_headers(sandbox, api):
    sandbox.set_faults(rate=1.0, statuses=[429], retry_after=2)
    response = api.get("/room_recordings")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "2"
    assert {"x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"} <= set(response.headers)
    assert response.json()["errors"][0]["code"] == "10011"


def test_faults_spare_the_control_api_and_media(sandbox, api):
    sandbox.seed(rooms=1, sessions_per_room=1, participants_per_session=1)
    url = api.get("/room_recordings").json()["data"][0]["download_url"]
    sandbox.set_faults(rate=1.0, statuses=[500])
    assert api.get("/rooms").status_code == 500
    assert sandbox.request_counts()  # control API still answers
    assert httpx.get(url).status_code == 200
    sandbox.clear_faults()
    assert api.get("/rooms").status_code == 200


def test_latency(sandbox, api):
    sandbox.set_faults(latency_ms=300)
    started = time.monotonic()
    assert api.get("/rooms").status_code == 200
    assert time.monotonic() - started >= 0.3


def test_timeout_processes_the_request_then_holds_the_answer(sandbox, api):
    sandbox.set_faults(timeout_rate=1.0, timeout_secs=1.5)
    with pytest.raises(httpx.ReadTimeout):
        api.post("/rooms", json={"unique_name": "slow"}, timeout=0.5)
    sandbox.clear_faults()
    rooms = api.get("/rooms").json()["data"]
    assert [r["unique_name"] for r in rooms] == ["slow"]
    assert sandbox.request_counts()["POST /rooms"] == {201: 1}


def test_bad_fault_config_is_422(sandbox):
    status, _, body = sandbox.request("PUT", "/_sandbox/faults", {"rate": 2, "statuses": [200]})
    assert status == 422
    assert {e["source"]["pointer"] for e in body["errors"]} == {"/rate", "/statuses"}
