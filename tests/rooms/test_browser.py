"""The flows a person clicks through, in a real headless Chromium against the live server and the sandbox."""

from __future__ import annotations

import pytest

from dashboard.telnyx import get_client
from tests.conftest import PASSWORD
from tests.fixtures.browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_creating_a_room_sees_the_field_error_for_60_participants(
    page, live_server, admin_user, telnyx_sandbox
):
    sign_in(page, live_server.url, admin_user.username, PASSWORD)
    page.goto(f"{live_server.url}/rooms/")
    page.click("text=New room")
    page.fill("#id_unique_name", "all hands")
    page.fill("#id_max_participants", "60")
    page.click("button[type=submit]:has-text('Create room')")
    field = page.locator("#field-max_participants")
    field.locator(".errorlist").wait_for()
    assert "less than or equal to 50" in field.inner_text()
    assert "has-error" in (field.get_attribute("class") or "")
    assert telnyx_sandbox.request_count("POST /rooms") == 0
    # Corrected, the room is created and its page opens.
    page.fill("#id_max_participants", "50")
    page.click("button[type=submit]:has-text('Create room')")
    page.wait_for_selector("h1:has-text('all hands')")
    assert [r.unique_name for r in get_client().iter_rooms()] == ["all hands"]


def test_moderator_runs_a_live_session(page, live_server, moderator_user, telnyx_sandbox, artifacts_dir):
    client = get_client()
    room = client.create_room(unique_name="live console", max_participants=10)
    people = {name: telnyx_sandbox.join(room.id, name)["id"] for name in ("alice", "bob", "carol")}
    session_id = client.get_room(room.id).active_session_id

    sign_in(page, live_server.url, moderator_user.username, PASSWORD)
    page.goto(f"{live_server.url}/sessions/{session_id}/")
    page.wait_for_selector(f"#participant-{people['carol']}")

    # Select bob, then a participant joins: the row appears without a reload and bob stays selected.
    page.check(f"#participant-{people['bob']} input[name=selected]")
    page.evaluate("window.__sameDocument = true")
    dave = telnyx_sandbox.join(room.id, "dave")["id"]
    page.wait_for_selector(f"#participant-{dave}", timeout=5000)
    assert page.evaluate("window.__sameDocument") is True
    # Through several refreshes (every 0.5 s) the box never shows unchecked.
    box = f"#participant-{people['bob']} input[name=selected]"
    samples = []
    for _ in range(40):
        samples.append(page.is_checked(box))
        page.wait_for_timeout(40)
    assert all(samples), samples
    assert page.inner_text("[data-selected-count]") == "1"

    # Mute all except the selected one (bob).
    page.click("button:has-text('Mute all except selected')")
    page.wait_for_selector("#action-result:has-text('Telnyx accepted: muted all 3 participants except bob.')")
    state = {
        name: telnyx_sandbox.participant(pid)["audio_muted"] for name, pid in {**people, "dave": dave}.items()
    }
    assert state == {"alice": True, "bob": False, "carol": True, "dave": True}
    assert "muted by" in page.inner_text(f"#participant-{people['alice']}")
    assert "muted by" not in page.inner_text(f"#participant-{people['bob']}")
    page.screenshot(path=str(artifacts_dir / "live-session.png"), full_page=True)

    # Kick carol after confirming.
    questions: list[str] = []

    def accept(dialog):  # type: ignore[no-untyped-def]
        questions.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    page.click(f"#participant-{people['carol']} [data-row-menu]")  # the row's one menu
    page.click("#row-menu button:has-text('Kick')")
    page.wait_for_selector("#action-result:has-text('Telnyx accepted: kicked carol.')")
    assert questions == ["Kick carol from the session?"]
    assert telnyx_sandbox.participant(people["carol"])["kicked"]
    assert not telnyx_sandbox.participant(people["alice"])["kicked"]

    # End the session after confirming; the table stops refreshing.
    page.click("button:has-text('End session')")
    page.wait_for_selector("#action-result:has-text('Telnyx ended the session.')")
    assert questions[-1] == "End the session for everyone?"
    assert all(telnyx_sandbox.participant(pid)["kicked"] for pid in (people["alice"], people["bob"], dave))
    assert page.locator("#participant-table[hx-trigger]").count() == 0
    assert page.locator("button:has-text('Mute all')").count() == 0
    page.screenshot(path=str(artifacts_dir / "live-session-ended.png"), full_page=True)


def test_dismissing_the_kick_confirmation_kicks_no_one(page, live_server, moderator_user, telnyx_sandbox):
    room = get_client().create_room(unique_name="careful")
    alice = telnyx_sandbox.join(room.id, "alice")["id"]
    session_id = get_client().get_room(room.id).active_session_id
    sign_in(page, live_server.url, moderator_user.username, PASSWORD)
    page.goto(f"{live_server.url}/sessions/{session_id}/")
    page.on("dialog", lambda dialog: dialog.dismiss())
    page.click(f"#participant-{alice} [data-row-menu]")
    page.click("#row-menu button:has-text('Kick')")
    page.wait_for_timeout(500)
    assert not telnyx_sandbox.participant(alice)["kicked"]
    assert telnyx_sandbox.request_count("POST /room_sessions/{room_session_id}/actions/kick") == 0
