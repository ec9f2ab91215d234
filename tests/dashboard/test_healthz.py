import json

import pytest


@pytest.mark.django_db
def test_healthz_is_200_when_database_and_broker_answer_and_asks_nothing_of_telnyx(client, telnyx_sandbox):
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert {name: check["ok"] for name, check in body["checks"].items()} == {"database": True, "broker": True}
    assert telnyx_sandbox.request_count() == 0


@pytest.mark.django_db
def test_healthz_detail_is_200_when_database_broker_and_telnyx_answer(admin_client, telnyx_sandbox):
    response = admin_client.get("/healthz/detail")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert {name: check["ok"] for name, check in body["checks"].items()} == {
        "database": True,
        "broker": True,
        "telnyx": True,
    }
    assert telnyx_sandbox.request_count("GET /rooms") == 1  # one probe, no retries


def test_open_overviews_share_one_telnyx_probe(admin_client, viewer_client, telnyx_sandbox):
    for client in (admin_client, viewer_client, admin_client):
        assert client.get("/healthz/detail").json()["checks"]["telnyx"]["ok"]
    assert telnyx_sandbox.request_count("GET /rooms") == 1  # the later two read the remembered answer


@pytest.mark.django_db
def test_healthz_detail_never_shows_the_api_key(admin_client, telnyx_sandbox, settings):
    settings.TELNYX_API_KEY = "KEY-that-telnyx-will-refuse-123456"
    response = admin_client.get("/healthz/detail")
    assert response.status_code == 503
    assert response.json()["checks"]["telnyx"]["detail"].endswith("is reachable but refused the API key.")
    assert "KEY-that-telnyx-will-refuse" not in response.content.decode()


@pytest.mark.django_db
def test_healthz_is_503_when_the_broker_is_down(client, admin_client, telnyx_sandbox, settings):
    # Nothing listens on port 1: the broker is down.
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    response = client.get("/healthz")
    body = json.loads(response.content)
    assert response.status_code == 503
    assert body["status"] == "degraded"
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True
    detail = admin_client.get("/healthz/detail").json()
    assert "did not answer" in detail["checks"]["broker"]["detail"]


@pytest.mark.django_db
def test_healthz_detail_is_503_when_telnyx_is_unreachable(admin_client, settings):
    settings.TELNYX_API_KEY = "some-key"
    settings.TELNYX_API_BASE_URL = "http://127.0.0.1:9/v2"  # discard port: connection refused
    response = admin_client.get("/healthz/detail")
    assert response.status_code == 503
    assert response.json()["checks"]["telnyx"]["ok"] is False
