"""Names before ids, the admin site's refusal and the phone layout, in a real Chromium at 1440 and 390 px."""

from __future__ import annotations

import pytest

from dashboard.roles import Role
from recordings.models import Recording
from recordings.services.sync import sync_recordings
from tests.conftest import PASSWORD, make_user
from tests.fixtures.browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = pytest.mark.parametrize("width", [1440, 390], ids=["desktop", "phone"])


@pytest.fixture
def named_recordings(telnyx_sandbox):  # type: ignore[no-untyped-def]
    telnyx_sandbox.seed(rooms=2, sessions_per_room=2, participants_per_session=2)
    sync_recordings()
    # What the sync's name resolution leaves behind: participants known by their context.
    for i, pk in enumerate(Recording.objects.order_by("pk").values_list("pk", flat=True)):
        Recording.objects.filter(pk=pk).update(participant_context="bob" if i % 2 == 0 else "alice")
    return telnyx_sandbox


def _open(browser, width):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.set_default_timeout(10_000)
    return context, context.new_page()


def _overflow(page) -> int:  # type: ignore[no-untyped-def]
    return int(page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth"))


@WIDTHS
def test_recordings_show_participant_and_room_names_and_filter_by_name(
    browser, live_server, viewer_user, named_recordings, width
):  # type: ignore[no-untyped-def]
    context, page = _open(browser, width)
    sign_in(page, live_server.url, viewer_user.username, PASSWORD)
    page.goto(f"{live_server.url}/recordings/")
    first_row = page.locator("table.recordings tbody tr").first
    assert first_row.locator("td.participant").inner_text().strip() in {"bob", "alice"}
    room = first_row.locator("td[data-label=Room]").inner_text().strip()
    recording = Recording.objects.get(telnyx_id=first_row.get_attribute("data-recording"))
    assert recording.room_name and room == recording.room_name  # the name, not the room's UUID
    assert recording.room_id[:8] not in first_row.inner_text()
    assert "s" in first_row.locator("td[data-label=Duration]").inner_text()
    assert page.locator("#participant-names option[value=bob]").count() == 1
    page.fill("input[name=participant]", "bob")
    page.click(".filters button[type=submit]")
    page.wait_for_url("**participant=bob**")
    names = page.locator("table.recordings td.participant").all_inner_texts()
    assert names and {n.strip() for n in names} == {"bob"}
    context.close()


def test_composition_sources_are_people_not_ids(browser, live_server, viewer_user, named_recordings):  # type: ignore[no-untyped-def]
    session_id = Recording.objects.filter(type="video").values_list("session_id", flat=True).first()
    context, page = _open(browser, 1440)
    sign_in(page, live_server.url, viewer_user.username, PASSWORD)
    page.goto(f"{live_server.url}/compositions/new?session_id={session_id}")
    # The speakers box shows only for the presets that use it.
    assert not page.locator(".field.speakers").is_visible()
    page.check("input[name=layout][value=single]")
    speakers = page.locator(".field.speakers")
    assert speakers.is_visible()
    labels = speakers.locator("option, label").all_inner_texts()
    assert any(text.strip().startswith(("bob ·", "alice ·")) for text in labels), labels
    assert any(" min " in text or text.rstrip().endswith(" s") or "· from" in text for text in labels)
    context.close()


@WIDTHS
@pytest.mark.parametrize("role", [Role.MODERATOR, Role.VIEWER], ids=["moderator", "viewer"])
def test_the_admin_site_answers_the_products_403_to_other_roles(browser, live_server, role, width):  # type: ignore[no-untyped-def]
    user = make_user(f"not-admin-{role.value.lower()}", role)
    context, page = _open(browser, width)
    sign_in(page, live_server.url, user.username, PASSWORD)
    response = page.goto(f"{live_server.url}/admin/")
    assert response is not None and response.status == 403
    assert page.locator("h1").inner_text() == "You can't do that"
    assert page.locator("input[name=password]").count() == 0  # not a sign-in form
    assert page.locator(".topbar .brand").is_visible()  # the product's own layout
    context.close()


LIST_PAGES = ["/", "/rooms/", "/sessions/", "/recordings/", "/compositions/", "/audit/", "/people/"]


def test_phone_menu_and_list_pages_fit_the_screen(browser, live_server, admin_user, named_recordings):  # type: ignore[no-untyped-def]
    context, page = _open(browser, 390)
    sign_in(page, live_server.url, admin_user.username, PASSWORD)
    for path in LIST_PAGES:
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        assert _overflow(page) <= 0, path
        for table in page.locator("table.stacked").all():  # every wide table is stacked rows
            box = table.bounding_box()
            assert box is not None and box["x"] + box["width"] <= 390, path
    # The menu folds behind one toggle; every entry is reachable from it.
    page.goto(f"{live_server.url}/recordings/")
    assert not page.locator("nav.nav-wide").is_visible()
    compositions = page.locator(".nav-drawer a", has_text="Compositions")
    assert not compositions.is_visible()
    page.click(".nav-toggle")
    assert compositions.is_visible()
    box = compositions.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    compositions.click()
    page.wait_for_url("**/compositions/")
    # The recordings' actions stay on screen.
    page.goto(f"{live_server.url}/recordings/")
    play = page.locator("table.recordings button[data-play]").first
    more = page.locator("table.recordings details.menu summary").first
    for control in (play, more):
        box = control.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    more.click()
    delete = page.locator("table.recordings details.menu[open] button", has_text="Delete")
    assert delete.is_visible()
    box = delete.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 390
    context.close()


def test_desktop_menu_shows_every_entry_without_a_toggle(browser, live_server, admin_user, telnyx_sandbox):  # type: ignore[no-untyped-def]
    context, page = _open(browser, 1440)
    sign_in(page, live_server.url, admin_user.username, PASSWORD)
    assert _overflow(page) <= 0
    assert not page.locator(".nav-toggle").is_visible()
    labels = page.locator("nav.nav-wide a").all_inner_texts()
    assert labels[-2:] == ["Governance", "People"] and "Compositions" in labels
    for link in page.locator("nav.nav-wide a").all():
        box = link.bounding_box()
        assert box is not None and box["x"] + box["width"] <= 1440
    context.close()
