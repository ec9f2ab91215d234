"""The Webhooks page's "send every room's events here": a preview, then one audited PATCH per room."""

from __future__ import annotations

import pytest

from audit.models import AuditEntry
from dashboard.telnyx import get_client

pytestmark = pytest.mark.django_db

URL = "https://video.example.test/webhooks/telnyx"


def test_preview_then_patch_only_rooms_without_a_url(admin_client, telnyx_sandbox, settings):
    settings.DASHBOARD_PUBLIC_URL = "https://video.example.test"
    client = get_client()
    bare = client.create_room(unique_name="bare")
    other = client.create_room(unique_name="elsewhere", webhook_event_url="https://other.test/hook")
    preview = admin_client.get("/webhooks/setup/rooms").content.decode()
    assert "bare" in preview and "elsewhere" not in preview and URL in preview
    assert telnyx_sandbox.request_count("PATCH /rooms/{room_id}") == 0  # the preview changes nothing
    response = admin_client.post("/webhooks/setup/rooms", {"room": [bare.id]}, follow=True)
    assert "1 room(s) now send their events to" in response.content.decode()
    assert telnyx_sandbox.request_count("PATCH /rooms/{room_id}") == 1
    assert client.get_room(bare.id).webhook_event_url == URL
    assert client.get_room(other.id).webhook_event_url == "https://other.test/hook"
    (entry,) = AuditEntry.objects.filter(action=AuditEntry.Action.ROOM_UPDATE)
    assert (
        entry.succeeded
        and entry.room_id == bare.id
        and entry.target == {"fields": {"webhook_event_url": URL}}
    )


def test_without_a_public_url_nothing_is_patched(admin_client, telnyx_sandbox, settings):
    settings.DASHBOARD_PUBLIC_URL = ""
    get_client().create_room(unique_name="bare")
    assert (
        "Set <code>DASHBOARD_PUBLIC_URL</code>" in admin_client.get("/webhooks/setup/rooms").content.decode()
    )
    response = admin_client.post("/webhooks/setup/rooms", follow=True)
    assert "Set DASHBOARD_PUBLIC_URL first" in response.content.decode()
    assert not AuditEntry.objects.exists()


def test_new_room_form_prefills_this_dashboards_receiver(admin_client, telnyx_sandbox, settings):
    settings.DASHBOARD_PUBLIC_URL = "https://video.example.test"
    assert f'value="{URL}"' in admin_client.get("/rooms/new/").content.decode()


def test_moderators_cannot_point_rooms(moderator_client, telnyx_sandbox, settings):
    settings.DASHBOARD_PUBLIC_URL = "https://video.example.test"
    assert moderator_client.post("/webhooks/setup/rooms").status_code == 403
