"""The audit log (filters, CSV, who sees what) and the overview's live parts."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from rooms import moderation, services, tokens

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(live_session, admin_user, moderator_user, telnyx_sandbox):
    """Entries by two users on one session and one room."""
    room, session_id, people = live_session
    moderation.moderate(user=moderator_user, session_id=session_id, action="mute", participants="all")
    moderation.moderate(
        user=moderator_user, session_id=session_id, action="kick", participants=[people["bob"]]
    )
    services.update_room(user=admin_user, room_id=room.id, unique_name="renamed")
    tokens.generate_join_token(user=admin_user, room_id=room.id)
    return room, session_id


def test_admin_sees_every_entry_and_filters(admin_client, history):
    room, _ = history
    url = reverse("audit:list")
    page = admin_client.get(url)
    assert len(page.context["page"].object_list) == 4
    assert [
        e.action for e in admin_client.get(url, {"user": "mo-moderator"}).context["page"].object_list
    ] == [
        "session.kick",
        "session.mute",
    ]
    assert len(admin_client.get(url, {"action": "room.update"}).context["page"].object_list) == 1
    assert len(admin_client.get(url, {"room": room.id}).context["page"].object_list) == 4
    partial = admin_client.get(
        url, {"action": "token.generate"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="audit-table"
    )
    body = partial.content.decode()
    assert body.lstrip().startswith('<div id="audit-table">') and "Join token generated" in body


def test_others_see_only_their_own_entries(moderator_client, viewer_client, history):
    entries = moderator_client.get(reverse("audit:list")).context["page"].object_list
    assert {e.username for e in entries} == {"mo-moderator"} and len(entries) == 2
    # Asking for someone else's entries does not widen the view.
    entries = moderator_client.get(reverse("audit:list"), {"user": "ada-admin"}).context["page"].object_list
    assert {e.username for e in entries} == {"mo-moderator"}
    assert len(viewer_client.get(reverse("audit:list")).context["page"].object_list) == 0


def test_audit_csv_export_follows_filters_and_visibility(admin_client, moderator_client, history):
    def rows(client, **params):
        response = client.get(reverse("audit:export"), params)
        assert response["Content-Type"].startswith("text/csv")
        return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))

    everything = rows(admin_client)
    assert everything[0][:3] == ["when", "user", "action"] and len(everything) == 5
    kicks = rows(admin_client, action="session.kick")
    assert len(kicks) == 2 and kicks[1][2] == "session.kick" and kicks[1][7] == "yes"
    assert "participants:" in kicks[1][6]
    assert {r[1] for r in rows(moderator_client)[1:]} == {"mo-moderator"}


def test_overview_shows_live_rooms_and_refreshes_that_part(role_client, live_session, telnyx_sandbox):
    _, client = role_client
    room, session_id, _ = live_session
    page = client.get(reverse("overview")).content.decode()
    assert 'id="live-now"' in page and "standup" in page and 'id="system-status"' in page
    assert f'href="/sessions/{session_id}/"' in page
    assert 'id="recording-stats"' in page
    partial = client.get(reverse("overview"), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="live-now")
    body = partial.content.decode()
    assert body.lstrip().startswith('<section id="live-now"') and "system-status" not in body
    assert '<td class="num">3</td>' in body


def test_overview_lists_latest_ended_sessions(admin_client, make_room, telnyx_sandbox):
    room = make_room(unique_name="finished")
    telnyx_sandbox.leave(telnyx_sandbox.join(room.id, "x")["id"])
    page = admin_client.get(reverse("overview")).content.decode()
    section = page.split('id="latest-ended"')[1].split("</section>")[0]
    assert "finished" in section


def test_overview_survives_telnyx_being_down(admin_client, telnyx_sandbox, settings):
    settings.TELNYX_API_BASE_URL = "http://127.0.0.1:9/v2"
    response = admin_client.get(reverse("overview"))
    assert response.status_code == 200
    assert "Telnyx is not answering right now." in response.content.decode()
    assert telnyx_sandbox.api_key not in response.content.decode()
