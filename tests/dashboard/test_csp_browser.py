"""In a real Chromium, the dashboard's pages run under their Content-Security-Policy without a violation."""

from __future__ import annotations

import pytest

from dashboard.telnyx import get_client
from tests.conftest import PASSWORD
from tests.fixtures.browser import sign_in, watch_csp_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = [
    "/",
    "/rooms/",
    "/rooms/new/",
    "/sessions/",
    "/recordings/",
    "/compositions/",
    "/compositions/new",
    "/audit/",
    "/admin/",
    "/admin/auth/user/",
]


def _watch_for_violations(page) -> list[str]:  # type: ignore[no-untyped-def]
    """Console reports of blocked scripts, styles and handlers, and the DOM's own violation events."""
    seen = watch_csp_violations(page)
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "console.error('Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
    )
    return seen


def test_pages_log_no_csp_violation(page, live_server, admin_user, telnyx_sandbox):
    violations = _watch_for_violations(page)
    page.goto(f"{live_server.url}/accounts/login/")
    assert page.evaluate("document.styleSheets.length") >= 1
    sign_in(page, live_server.url, admin_user.username, PASSWORD)
    room = get_client().create_room(unique_name="csp check", max_participants=5)
    telnyx_sandbox.join(room.id, "alice")
    session_id = get_client().get_room(room.id).active_session_id
    for path in [*PAGES, f"/rooms/{room.id}/", f"/sessions/{session_id}/"]:
        response = page.goto(f"{live_server.url}{path}")
        assert response is not None and response.status == 200, path
        assert "unsafe-inline" not in (response.headers.get("content-security-policy") or "x")
        page.wait_for_load_state("load")
    # A polled partial swaps in under the policy too, and htmx injected no <style> of its own.
    page.goto(f"{live_server.url}/")
    with page.expect_response(lambda r: r.request.headers.get("hx-target") == "system-status"):
        page.evaluate("htmx.ajax('GET', '/', {target: '#system-status', swap: 'outerHTML'})")
    page.wait_for_selector("#system-status .badge")
    assert page.evaluate("document.querySelectorAll('style').length") == 0
    assert page.evaluate("typeof window.htmx") == "object"
    assert violations == []


def test_the_violation_watch_sees_a_blocked_inline_style(browser, live_server, admin_user):
    # Its own context: the shared `page` fixture fails any test whose pages break the policy.
    context = browser.new_context()
    page = context.new_page()
    violations = _watch_for_violations(page)
    sign_in(page, live_server.url, admin_user.username, PASSWORD)
    # An inline <style> added through the DOM is blocked by the policy, and reported.
    page.evaluate("document.head.insertAdjacentHTML('beforeend', '<style>body{color:red}</style>')")
    page.wait_for_timeout(200)
    context.close()
    assert violations, "a blocked inline style went unnoticed"
