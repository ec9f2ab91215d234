"""The Webhooks page and the event log: admins only, what they show, no inline script or style."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from nacl.signing import SigningKey

from webhooks import applying
from webhooks.models import LiveSession, WebhookEvent

from .conftest import event, signed_headers

pytestmark = pytest.mark.django_db

INLINE = re.compile(r"<script(?![^>]*\bsrc=)|<style|\sstyle=|\son[a-z]+=", re.IGNORECASE)


def _inline_in_webhooks_markup(html: str) -> list[str]:
    # The page's own markup: base.html's account bar is outside this feature.
    main = html.split('<main id="main">', 1)[1]
    return INLINE.findall(main)


@pytest.mark.parametrize("url", ["/webhooks/", "/webhooks/setup"])
def test_pages_are_for_admins_only(url, moderator_client, viewer_client, admin_client):
    assert viewer_client.get(url).status_code == 403
    assert moderator_client.get(url).status_code == 403
    assert admin_client.get(url).status_code == 200


def test_signed_out_users_are_sent_to_login():
    response = Client().get("/webhooks/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_navigation_links_for_admins_only(admin_client, moderator_client):
    admin_nav = admin_client.get("/").content.decode()
    assert 'href="/webhooks/"' in admin_nav and 'href="/webhooks/setup"' in admin_nav
    assert 'href="/webhooks/' not in moderator_client.get("/").content.decode()


def test_setup_page_says_webhooks_are_off_without_a_key(admin_client, settings):
    settings.TELNYX_WEBHOOK_PUBLIC_KEY = ""
    page = admin_client.get("/webhooks/setup").content.decode()
    assert "Webhooks are off" in page
    assert "Webhooks are off" in admin_client.get("/webhooks/").content.decode()


def test_setup_page_shows_url_key_last_event_and_refusals(admin_client, post_signed, signing_key, settings):
    settings.DASHBOARD_PUBLIC_URL = "https://video.example.com"
    post_signed(event("video.room.session.started", room_id="r1", session_id="s1"))
    body = event("video.room.session.started", room_id="r1", session_id="s1")
    post_signed(body, headers=signed_headers(SigningKey.generate(), body))
    post_signed(body, headers=signed_headers(SigningKey.generate(), body))
    page = admin_client.get("/webhooks/setup").content.decode()
    assert "https://video.example.com/webhooks/telnyx" in page
    assert "The public key is set" in page
    assert re.search(r'id="last-verified">\d{4}-\d\d-\d\d', page)
    assert '<td data-reason="bad_signature">2</td>' in page
    assert not _inline_in_webhooks_markup(page)


def test_event_log_shows_events_and_filters_by_type_and_room(admin_client, post_signed):
    post_signed(event("video.room.session.started", room_id="room-a", session_id="s1"))
    post_signed(event("video.room.participant.joined", room_id="room-b", session_id="s2", participant_id="p"))
    post_signed(event("video.room.something.new", room_id="room-a"))
    page = admin_client.get("/webhooks/").content.decode()
    assert page.count('<tr id="event-') == 3
    assert "Verified signature" in page and "Waiting" in page
    assert not _inline_in_webhooks_markup(page)
    by_type = admin_client.get("/webhooks/", {"type": "video.room.something.new"}).content.decode()
    assert by_type.count('<tr id="event-') == 1
    by_room = admin_client.get("/webhooks/", {"room": "room-a"}).content.decode()
    assert by_room.count('<tr id="event-') == 2


def test_event_log_pages_with_the_one_pager(admin_client, post_signed):
    for _ in range(51):
        post_signed(event("video.room.something.new", room_id="r"))
    page = admin_client.get("/webhooks/").content.decode()
    assert "Page 1 of 2" in page and "(51 in all)" in page
    partial = admin_client.get(
        "/webhooks/", {"page": 2}, headers={"HX-Request": "true", "HX-Target": "event-table"}
    )
    html = partial.content.decode()
    assert html.lstrip().startswith('<div id="event-table">') and html.count('<tr id="event-') == 1


def test_old_events_and_ended_live_sessions_are_deleted(post_signed, settings):
    settings.WEBHOOK_EVENTS_KEEP_DAYS = 7
    post_signed(event("video.room.session.started", room_id="r", session_id="old"))
    post_signed(event("video.room.session.started", room_id="r", session_id="new"))
    long_ago = timezone.now() - timedelta(days=8)
    WebhookEvent.objects.filter(session_id="old").update(received_at=long_ago)
    LiveSession.objects.create(session_id="old", ended_at=long_ago)
    LiveSession.objects.create(session_id="new")
    assert applying.delete_old_events() == 1
    assert list(WebhookEvent.objects.values_list("session_id", flat=True)) == ["new"]
    assert list(LiveSession.objects.values_list("session_id", flat=True)) == ["new"]


def test_lost_apply_tasks_are_requeued_by_the_sweep(post_signed, django_capture_on_commit_callbacks):
    post_signed(event("video.room.session.started", room_id="r", session_id="s"))
    WebhookEvent.objects.update(received_at=timezone.now() - timedelta(minutes=5))
    with django_capture_on_commit_callbacks() as callbacks:
        assert applying.requeue_pending() == 1
    assert len(callbacks) == 1
