"""The secret receiver URL: off by default, shown once when turned on, dead at once when rotated or off."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from webhooks.models import SecretReceiver, WebhookEvent

from .conftest import event

pytestmark = pytest.mark.django_db


def _turn_on(admin_client: Client, action: str = "on") -> str:
    response = admin_client.post("/webhooks/setup/secret-url", {"action": action})
    assert response.status_code == 200
    match = re.search(
        r'id="secret-url">[^<]*(/webhooks/telnyx/[A-Za-z0-9_-]{40,})<', response.content.decode()
    )
    assert match, "the new URL is shown once"
    return match.group(1)


def test_secret_url_is_off_by_default():
    body = event("video.room.session.started", room_id="r1", session_id="s1")
    response = Client().post("/webhooks/telnyx/anything-at-all", data=body, content_type="application/json")
    assert response.status_code == 404
    assert not WebhookEvent.objects.exists()


def test_unsigned_event_is_accepted_at_the_secret_url_when_on(admin_client, settings):
    settings.TELNYX_WEBHOOK_PUBLIC_KEY = ""  # independent of the signed receiver
    url = _turn_on(admin_client)
    body = event("video.room.session.started", room_id="r1", session_id="s1")
    response = Client().post(url, data=body, content_type="application/json")
    assert response.status_code == 200
    assert WebhookEvent.objects.get().accepted_by == "secret_url"
    log = admin_client.get("/webhooks/").content.decode()
    assert "Secret URL" in log


def test_only_a_hash_of_the_token_is_stored(admin_client):
    url = _turn_on(admin_client)
    token = url.rsplit("/", 1)[1]
    receiver = SecretReceiver.objects.get()
    assert token not in receiver.token_sha256 and len(receiver.token_sha256) == 64
    page = admin_client.get("/webhooks/setup").content.decode()
    assert token not in page and f"…{token[-4:]}" in page


def test_rotating_retires_the_old_url_at_once(admin_client):
    old = _turn_on(admin_client)
    new = _turn_on(admin_client, "rotate")
    assert old != new
    body = event("video.room.session.started", room_id="r1", session_id="s1")
    assert Client().post(old, data=body, content_type="application/json").status_code == 404
    assert Client().post(new, data=body, content_type="application/json").status_code == 200


def test_turning_off_answers_404(admin_client):
    url = _turn_on(admin_client)
    admin_client.post("/webhooks/setup/secret-url", {"action": "off"})
    body = event("video.room.session.started", room_id="r1", session_id="s1")
    assert Client().post(url, data=body, content_type="application/json").status_code == 404
    assert not SecretReceiver.objects.exists()


def test_moderator_cannot_turn_on_the_secret_url(moderator_client):
    assert moderator_client.post("/webhooks/setup/secret-url", {"action": "on"}).status_code == 403
    assert not SecretReceiver.objects.exists()
