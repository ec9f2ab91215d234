"""The People page, clicked through by an admin: add a person, hand over the password, change the
role, deactivate; the new person signs in; the audit log shows each change."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from dashboard.roles import Role, role_of
from tests.conftest import PASSWORD
from tests.fixtures.browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1440, 390], ids=["desktop", "phone"])
def test_admin_adds_a_person_changes_the_role_and_deactivates(browser, live_server, admin_user, width):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, live_server.url, admin_user.username, PASSWORD)
    if width < 800:
        page.click(".nav-toggle")
        page.locator(".nav-drawer a", has_text="People").click()
    else:
        page.locator("nav.nav-wide a", has_text="People").click()
    page.wait_for_url("**/people/")
    page.click("details.add-person summary")
    page.fill("input[name=username]", "carol")
    page.select_option("select[name=role]", "Moderator")
    page.click("form[action$='/people/new/'] button[type=submit]")
    password = page.locator("#handover-password").inner_text().strip()
    assert len(password) >= 20
    carol = User.objects.get(username="carol")
    assert role_of(carol) is Role.MODERATOR and carol.check_password(password)

    # The new person signs in with the handed-over password.
    other = browser.new_context(viewport={"width": width, "height": 900})
    their_page = other.new_page()
    sign_in(their_page, live_server.url, "carol", password)
    assert "carol" in their_page.locator(".topbar").inner_html()
    other.close()

    row = page.locator("tr[data-person=carol]")
    row.locator("select[name=role]").select_option("Viewer")
    row.locator("form.inline-role button").click()
    page.wait_for_selector(".message.success")
    assert "carol is now Viewer (was Moderator)" in page.locator(".messages").inner_text()
    row = page.locator("tr[data-person=carol]")
    row.locator("details.menu summary").click()
    row.locator("details.menu button", has_text="Deactivate").click()
    page.wait_for_selector("tr[data-person=carol] .badge.bad")
    carol.refresh_from_db()
    assert not carol.is_active and role_of(carol) is Role.VIEWER  # the role stays for a reactivation

    page.goto(f"{live_server.url}/audit/?category=change")
    text = page.locator("#audit-table").inner_text()
    for action in ("Person added", "Role changed", "Person deactivated"):
        assert action in text
    context.close()
