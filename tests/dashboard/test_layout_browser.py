"""The base layout in a real browser, at a desktop and a phone width."""

import pytest

from tests.conftest import PASSWORD
from tests.fixtures.browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (390, 844)], ids=["desktop", "phone"])
def test_overview_looks_finished_at_desktop_and_phone_width(
    browser, live_server, admin_user, telnyx_sandbox, artifacts_dir, width, height
):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    sign_in(page, live_server.url, admin_user.username, PASSWORD)
    page.wait_for_selector("#system-status")
    # The page fits the screen: nothing but tables may scroll sideways.
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    # Wide: the menu in the bar; narrow: behind the "Menu" toggle.
    nav = page.locator("nav.nav-wide a" if width > 1100 else ".nav-toggle")
    assert nav.first.is_visible()
    role = ".account-summary .role" if width > 1100 else ".nav-drawer .account .role"
    assert page.locator(role).text_content() == "Admin"
    # The stylesheet and htmx came from our own static files.
    assert page.evaluate("typeof window.htmx") == "object"
    assert page.evaluate("getComputedStyle(document.querySelector('.topbar')).position") == "sticky"
    page.screenshot(path=str(artifacts_dir / f"overview-{width}.png"), full_page=True)
    context.close()


def test_login_page_at_phone_width(browser, live_server, artifacts_dir):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    page.wait_for_url("**/accounts/login/**")
    box = page.locator(".auth-card").bounding_box()
    assert box is not None and box["width"] <= 390
    page.screenshot(path=str(artifacts_dir / "login-390.png"))
    context.close()
