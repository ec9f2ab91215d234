"""The receiver: verified events stored once and answered 200; everything else refused and counted."""

from __future__ import annotations

import json
import time

import pytest
from django.test import Client

from webhooks.models import WebhookEvent
from webhooks.services import refusal_counts

from .conftest import RECEIVER, event, signed_headers

pytestmark = pytest.mark.django_db


def test_signed_event_is_stored_and_answered_200(post_signed):
    body = event("video.room.session.started", room_id="r1", session_id="s1")
    response = post_signed(body)
    assert response.status_code == 200
    assert response.json()["status"] == "stored"
    stored = WebhookEvent.objects.get()
    assert stored.event_type == "video.room.session.started"
    assert (stored.room_id, stored.session_id) == ("r1", "s1")
    assert stored.accepted_by == "signature"
    assert stored.raw_body.encode() == body
    assert stored.occurred_at is not None and stored.applied_at is None


def test_forged_signature_is_refused(post_signed):
    from nacl.signing import SigningKey

    body = event("video.room.session.started", room_id="r1", session_id="s1")
    forged = signed_headers(SigningKey.generate(), body)
    response = post_signed(body, headers=forged)
    assert response.status_code == 401
    assert response.json()["reason"] == "bad_signature"
    assert not WebhookEvent.objects.exists()
    assert refusal_counts()["bad_signature"] == 1


def test_body_changed_after_signing_is_refused(post_signed, signing_key):
    body = event("video.room.participant.joined", room_id="r1", session_id="s1", participant_id="p1")
    headers = signed_headers(signing_key, body)
    tampered = body.replace(b'"p1"', b'"p2"')
    response = post_signed(tampered, headers=headers)
    assert response.status_code == 401
    assert not WebhookEvent.objects.exists()


def test_reserialised_body_is_refused(post_signed, signing_key):
    """The signature covers the raw bytes: the same JSON with other spacing is another body."""
    body = event("video.room.session.started", room_id="r1", session_id="s1")
    headers = signed_headers(signing_key, body)
    response = post_signed(json.dumps(json.loads(body), indent=1).encode(), headers=headers)
    assert response.status_code == 401


@pytest.mark.parametrize("offset", [-600, 600], ids=["10-minutes-old", "10-minutes-ahead"])
def test_timestamp_ten_minutes_off_is_refused(post_signed, offset):
    body = event("video.room.session.started", room_id="r1", session_id="s1")
    response = post_signed(body, timestamp=int(time.time()) + offset)
    assert response.status_code == 400
    assert response.json()["reason"] == "stale"
    assert not WebhookEvent.objects.exists()
    assert refusal_counts()["stale"] == 1


def test_timestamp_within_five_minutes_is_accepted(post_signed):
    body = event("video.room.session.started", room_id="r1", session_id="s1")
    assert post_signed(body, timestamp=int(time.time()) - 290).status_code == 200


def test_missing_signature_headers_are_refused(post_signed):
    body = event("video.room.session.started", room_id="r1", session_id="s1")
    response = post_signed(body, headers={})
    assert response.status_code == 400
    assert response.json()["reason"] == "missing_signature"


def test_same_event_twice_is_stored_once(post_signed):
    body = event("video.room.session.started", room_id="r1", session_id="s1")
    first, second = post_signed(body), post_signed(body)
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json()["status"] == "duplicate"
    assert WebhookEvent.objects.count() == 1


def test_unknown_event_type_is_stored_and_answered_200(post_signed):
    response = post_signed(event("video.room.something.new", room_id="r1", anything=[1, 2]))
    assert response.status_code == 200
    assert WebhookEvent.objects.get().event_type == "video.room.something.new"


def test_body_over_the_limit_is_refused_with_413(post_signed, settings):
    settings.WEBHOOK_MAX_BODY_BYTES = 2048
    body = event("video.room.session.started", room_id="r1", session_id="s1", padding="x" * 4000)
    response = post_signed(body)
    assert response.status_code == 413
    assert response.json()["reason"] == "too_large"
    assert not WebhookEvent.objects.exists()


def test_signed_body_that_is_no_event_is_refused(post_signed):
    response = post_signed(b'{"data": {"record_type": "event"}}')
    assert response.status_code == 400
    assert response.json()["reason"] == "not_an_event"


def test_no_key_configured_refuses_everything(settings, signing_key):
    body = event("video.room.session.started", room_id="r1", session_id="s1")
    headers = signed_headers(signing_key, body)
    settings.TELNYX_WEBHOOK_PUBLIC_KEY = ""
    response = Client().post(RECEIVER, data=body, content_type="application/json", headers=headers)
    assert response.status_code == 503
    assert response.json()["reason"] == "off"
    assert not WebhookEvent.objects.exists()


def test_invalid_key_configured_refuses_with_503(settings, signing_key):
    body = event("video.room.session.started", room_id="r1", session_id="s1")
    headers = signed_headers(signing_key, body)
    settings.TELNYX_WEBHOOK_PUBLIC_KEY = "bm90LWEta2V5"
    response = Client().post(RECEIVER, data=body, content_type="application/json", headers=headers)
    assert response.status_code == 503
    assert response.json()["reason"] == "bad_key"


def test_receiver_needs_no_login_and_no_csrf_token(post_signed, signing_key):
    client = Client(enforce_csrf_checks=True)
    body = event("video.room.session.started", room_id="r1", session_id="s1")
    response = client.post(
        RECEIVER, data=body, content_type="application/json", headers=signed_headers(signing_key, body)
    )
    assert response.status_code == 200


def test_receiver_answers_get_with_405(signing_key):
    assert Client().get(RECEIVER).status_code == 405


def test_naive_occurred_at_is_read_as_utc(post_signed):
    body = event("video.room.session.started", room_id="r1", session_id="s1").replace(b'Z"', b'"')
    assert post_signed(body).status_code == 200
    assert WebhookEvent.objects.get().occurred_at.utcoffset().total_seconds() == 0


def test_ids_that_are_no_telnyx_ids_are_not_kept_for_links(post_signed, admin_client):
    assert (
        post_signed(event("video.room.session.started", room_id="a/b", session_id="<x>")).status_code == 200
    )
    stored = WebhookEvent.objects.get()
    assert (stored.room_id, stored.session_id) == ("", "")
    assert admin_client.get("/webhooks/").status_code == 200


def test_body_that_is_not_utf8_is_refused(post_signed):
    response = post_signed('{"data": {"id": "é", "event_type": "x"}}'.encode("latin-1"))
    assert response.status_code == 400 and response.json()["reason"] == "not_an_event"
