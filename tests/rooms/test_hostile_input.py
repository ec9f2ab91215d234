"""Hostile input at the edge of the rooms pages: ids and values are checked before Telnyx or the
database sees them, and an action Telnyx accepted is always audited."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditEntry

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.mark.parametrize("bad_id", ["%00", "=1+cmd|calc", "not-a-uuid", "0" * 300])
@pytest.mark.parametrize("action", ["mute", "unmute", "kick", "end"])
def test_moderation_on_a_malformed_session_id_is_a_404_and_never_audited(
    moderator_client, telnyx_sandbox, bad_id, action
):
    response = moderator_client.post(f"/sessions/{bad_id}/{action}", {"participants": "all"})
    assert response.status_code == 404
    assert not AuditEntry.objects.exists()
    assert telnyx_sandbox.request_count(f"POST /room_sessions/{{room_session_id}}/actions/{action}") == 0


@pytest.mark.parametrize(
    "path", ["/rooms/%00/", "/rooms/%00/edit/", "/sessions/%00/", "/sessions/x/attendance.csv"]
)
def test_malformed_ids_in_page_urls_are_404(admin_client, telnyx_sandbox, path):
    assert admin_client.get(path).status_code == 404


def test_a_nul_participant_id_is_refused_beside_the_form_without_a_call(
    moderator_client, live_session, telnyx_sandbox
):
    _, session_id, _ = live_session
    response = moderator_client.post(
        reverse("sessions:mute", args=[session_id]), {"participants": ["\x00"]}, **HTMX
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert telnyx_sandbox.request_count("POST /room_sessions/{room_session_id}/actions/mute") == 0


def test_a_join_token_is_audited_with_telnyxs_room_name_whatever_the_form_sent(
    moderator_client, make_room, telnyx_sandbox
):
    room = make_room(unique_name="board")
    response = moderator_client.post(
        reverse("rooms:token", args=[room.id]),
        {"token_ttl_secs": 60, "refresh_token_ttl_secs": 600, "room_name": "x" * 300 + "\x00"},
        **HTMX,
    )
    assert response.status_code == 200
    assert "join-token-value" in response.content.decode()
    entry = AuditEntry.objects.get(action=AuditEntry.Action.TOKEN_GENERATE)
    assert (entry.succeeded, entry.room_id, entry.room_name) == (True, room.id, "board")
