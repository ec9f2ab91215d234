"""The rooms pages, each role, against the sandbox."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from dashboard.roles import Role
from dashboard.telnyx import get_client

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def htmx(target: str) -> dict[str, str]:
    return {**HTMX, "HTTP_HX_TARGET": target}


def shown_token(body: str) -> str:
    match = re.search(r'<textarea id="join-token-value"[^>]*>([^<]+)</textarea>', body)
    assert match, "no token shown"
    return match.group(1)


def refresh_token_in(body: str) -> str:
    match = re.search(r'name="refresh_token" value="([^"]+)"', body)
    assert match, "no refresh form"
    return match.group(1)


def test_room_list_for_every_role(role_client, telnyx_sandbox, make_room):
    role, client = role_client
    room = make_room(unique_name="weekly sync", enable_recording=True)
    telnyx_sandbox.join(room.id, "alice")
    page = client.get(reverse("rooms:list")).content.decode()
    assert "weekly sync" in page and "Live · 1 present" in page
    assert ("New room" in page) is (role is Role.ADMIN)


def test_room_list_partial_and_name_search(admin_client, make_room):
    make_room(unique_name="alpha")
    make_room(unique_name="beta")
    response = admin_client.get(reverse("rooms:list"), {"q": "alp"}, **htmx("room-table"))
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="room-table">')
    assert "alpha" in body and "beta" not in body and "<html" not in body


def test_room_list_pages(admin_client, make_room):
    for i in range(23):
        make_room(unique_name=f"r{i:02d}")
    first = admin_client.get(reverse("rooms:list")).content.decode()
    assert "Page 1 of 2" in first and 'href="?page=2"' in first
    second = admin_client.get(reverse("rooms:list"), {"page": 2}, **htmx("room-table")).content.decode()
    assert second.count('href="/rooms/') == 3  # newest first: the three oldest are on page 2


@pytest.mark.parametrize("url_name", ["rooms:new", "rooms:edit", "rooms:delete"])
def test_only_admins_manage_rooms(role_client, make_room, telnyx_sandbox, url_name):
    role, client = role_client
    room = make_room()
    url = reverse(url_name) if url_name == "rooms:new" else reverse(url_name, args=[room.id])
    expected = 200 if role is Role.ADMIN else 403
    assert client.get(url).status_code == expected
    if role is not Role.ADMIN:
        assert client.post(url, {"unique_name": "x", "max_participants": 5}).status_code == 403
        assert get_client().get_room(room.id).unique_name == "test-room"


def test_create_room_checks_bounds_before_asking_telnyx(admin_client, telnyx_sandbox):
    response = admin_client.post(reverse("rooms:new"), {"unique_name": "big", "max_participants": 60})
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["max_participants"] == ["Ensure this value is less than or equal to 50."]
    assert telnyx_sandbox.request_count("POST /rooms") == 0


def test_create_room_shows_telnyx_422_beside_its_field(admin_client, telnyx_sandbox):
    response = admin_client.post(
        reverse("rooms:new"),
        {"unique_name": "hooked", "max_participants": 5, "webhook_event_url": "ftp://example.com/hook"},
    )
    assert response.status_code == 200
    assert telnyx_sandbox.request_count("POST /rooms", status=422) == 1
    errors = response.context["form"].errors
    assert list(errors) == ["webhook_event_url"]
    body = response.content.decode()
    field_html = body.split('id="field-webhook_event_url"')[1].split('id="field-')[0]
    assert "has-error" in body.split('id="field-webhook_event_url"')[0][-40:]
    assert "must be a URL with a scheme" in field_html
    assert telnyx_sandbox.api_key not in body


def test_create_room_redirects_to_it_and_audits(admin_client, admin_user, telnyx_sandbox):
    response = admin_client.post(
        reverse("rooms:new"),
        {
            "unique_name": "town hall",
            "max_participants": 40,
            "enable_recording": "on",
            "webhook_timeout_secs": 5,
        },
    )
    assert response.status_code == 302
    room_id = response.url.rstrip("/").split("/")[-1]
    room = get_client().get_room(room_id)
    assert (room.unique_name, room.max_participants, room.enable_recording, room.webhook_timeout_secs) == (
        "town hall",
        40,
        True,
        5,
    )
    page = admin_client.get(response.url).content.decode()
    assert "Telnyx created room town hall." in page
    assert AuditEntry.objects.get().user == admin_user


def test_edit_room_sends_only_changed_fields(admin_client, make_room, telnyx_sandbox):
    room = make_room(unique_name="before", max_participants=8)
    data = {"unique_name": "after", "max_participants": 8, "webhook_event_url": ""}
    response = admin_client.post(reverse("rooms:edit", args=[room.id]), data)
    assert response.status_code == 302
    assert get_client().get_room(room.id).unique_name == "after"
    assert AuditEntry.objects.get().target == {"fields": {"unique_name": "after"}}


def test_delete_confirmation_names_the_room_and_warns_of_the_live_session(
    admin_client, make_room, telnyx_sandbox
):
    room = make_room(unique_name="doomed")
    telnyx_sandbox.join(room.id, "alice")
    page = admin_client.get(reverse("rooms:delete", args=[room.id])).content.decode()
    assert "Delete room doomed?" in page
    assert "deleting it ends the session" in page
    assert 'data-confirm="Delete room doomed? Its live session will be ended."' in page
    response = admin_client.post(reverse("rooms:delete", args=[room.id]))
    assert response.status_code == 302 and response.url == reverse("rooms:list")
    assert telnyx_sandbox.request_count("DELETE /rooms/{room_id}", status=204) == 1
    assert admin_client.get(reverse("rooms:detail", args=[room.id])).status_code == 404


def test_room_detail_for_every_role(role_client, make_room, telnyx_sandbox):
    role, client = role_client
    room = make_room(unique_name="detail-room")
    telnyx_sandbox.join(room.id, "alice")
    page = client.get(reverse("rooms:detail", args=[room.id])).content.decode()
    assert "detail-room" in page and "alice" in page and "Live session" in page
    assert ("Generate join token" in page) is (role is not Role.VIEWER)
    assert ('href="/rooms/' + room.id + '/edit/"' in page) is (role is Role.ADMIN)


def test_room_detail_of_unknown_room_is_404(admin_client, telnyx_sandbox):
    assert (
        admin_client.get(reverse("rooms:detail", args=["00000000-0000-4000-8000-000000000000"])).status_code
        == 404
    )


def test_room_detail_sessions_partial_pages(admin_client, make_room, telnyx_sandbox):
    room = make_room()
    for _ in range(12):
        telnyx_sandbox.leave(telnyx_sandbox.join(room.id, "x")["id"])
    response = admin_client.get(
        reverse("rooms:detail", args=[room.id]), {"sessions_page": 2}, **htmx("past-sessions")
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<section class="card" id="past-sessions">')
    assert "Page 2 of 2" in body and body.count('href="/sessions/') == 2


def test_join_token_is_shown_once_with_countdown_and_refreshes(moderator_client, make_room, telnyx_sandbox):
    room = make_room()
    url = reverse("rooms:token", args=[room.id])
    response = moderator_client.post(
        url, {"token_ttl_secs": 60, "refresh_token_ttl_secs": 600}, **htmx("join-token")
    )
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    body = response.content.decode()
    assert body.lstrip().startswith('<section class="card" id="join-token">')
    token = shown_token(body)
    assert token.count(".") == 2  # a JWT
    assert "data-countdown=" in body and 'data-copy="#join-token-value"' in body
    # Not stored: the room page does not show it again.
    assert token not in moderator_client.get(reverse("rooms:detail", args=[room.id])).content.decode()
    refreshed = moderator_client.post(
        reverse("rooms:token_refresh", args=[room.id]),
        {"refresh_token": refresh_token_in(body), "token_ttl_secs": 30},
        **htmx("join-token"),
    )
    new = shown_token(refreshed.content.decode())
    assert new != token and "Refreshed join token" in refreshed.content.decode()
    assert list(AuditEntry.objects.order_by("id").values_list("action", flat=True)) == [
        "token.generate",
        "token.refresh",
    ]


def test_join_token_without_javascript_renders_the_room_page(moderator_client, make_room, telnyx_sandbox):
    room = make_room(unique_name="plain")
    response = moderator_client.post(
        reverse("rooms:token", args=[room.id]), {"token_ttl_secs": 600, "refresh_token_ttl_secs": 3600}
    )
    body = response.content.decode()
    assert "<html" in body and "plain" in body and shown_token(body)


def test_join_token_ttl_bounds_are_checked_in_the_form(moderator_client, make_room, telnyx_sandbox):
    room = make_room()
    response = moderator_client.post(
        reverse("rooms:token", args=[room.id]), {"token_ttl_secs": 5, "refresh_token_ttl_secs": 90000}, **HTMX
    )
    body = response.content.decode()
    assert "Ensure this value is greater than or equal to 10." in body
    assert "Ensure this value is less than or equal to 86400." in body
    assert telnyx_sandbox.request_count("POST /rooms/{room_id}/actions/generate_join_client_token") == 0


def test_viewer_cannot_generate_or_refresh_tokens(viewer_client, make_room, telnyx_sandbox):
    room = make_room()
    assert (
        viewer_client.post(reverse("rooms:token", args=[room.id]), {"token_ttl_secs": 60}).status_code == 403
    )
    assert viewer_client.post(reverse("rooms:token_refresh", args=[room.id]), {}).status_code == 403
    assert not AuditEntry.objects.exists()


def test_pages_show_last_data_with_a_banner_when_telnyx_is_down(admin_client, make_room, telnyx_sandbox):
    room = make_room(unique_name="remembered")
    assert admin_client.get(reverse("rooms:list")).status_code == 200
    assert admin_client.get(reverse("rooms:detail", args=[room.id])).status_code == 200
    telnyx_sandbox.set_faults(rate=1.0, statuses=[500, 503], retry_after=0)
    for url in (reverse("rooms:list"), reverse("rooms:detail", args=[room.id])):
        response = admin_client.get(url)
        body = response.content.decode()
        assert response.status_code == 200
        assert "Telnyx is not answering right now." in body and "remembered" in body
        assert telnyx_sandbox.api_key not in body


def test_pages_without_any_copy_still_answer_when_telnyx_is_down(admin_client, telnyx_sandbox, settings):
    settings.TELNYX_API_BASE_URL = "http://127.0.0.1:9/v2"  # nothing listens there
    for url in (
        reverse("rooms:list"),
        reverse("rooms:detail", args=["0b6e1c8e-0000-4000-8000-000000000000"]),
    ):
        response = admin_client.get(url)
        assert response.status_code == 200
        assert "There is no earlier copy to show" in response.content.decode()
    response = admin_client.get(
        reverse("rooms:edit", args=["0b6e1c8e-0000-4000-8000-000000000000"]), follow=True
    )
    # By now the failures above have opened the circuit breaker, so the message says when it retries.
    body = response.content.decode()
    assert response.status_code == 200 and "Could not load the room: Telnyx is not answering" in body
