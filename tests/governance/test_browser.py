"""Governance in a real browser: the Policies page's preview is what the run deletes; a share link
plays for a signed-out browser."""

from __future__ import annotations

import pytest

from governance.retention import apply_retention
from governance.shares import create_link
from recordings.models import Recording
from recordings.services.sync import sync_recordings
from tests.conftest import PASSWORD
from tests.fixtures.browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def synced(telnyx_sandbox):  # type: ignore[no-untyped-def]
    telnyx_sandbox.seed(rooms=3, sessions_per_room=6, participants_per_session=2, compositions_per_room=2)
    sync_recordings()
    return telnyx_sandbox


def test_the_policies_preview_equals_what_the_run_deletes(
    page, live_server, admin_user, synced, settings, artifacts_dir
) -> None:  # type: ignore[no-untyped-def]
    settings.RETENTION_DAYS = 12
    settings.RETENTION_CONFIRM_THRESHOLD = 1_000
    room_id = Recording.objects.order_by("room_id").values_list("room_id", flat=True).first()
    sign_in(page, live_server.url, admin_user.username, PASSWORD)
    page.goto(f"{live_server.url}/governance/policies/")
    page.select_option("select[name=room_id]", room_id)
    page.fill("input[name=recordings_days]", "3")
    page.fill("input[name=compositions_days]", "3")
    page.click("#policy-form button[type=submit]")
    page.wait_for_selector(f"tr[data-room='{room_id}']")
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(artifacts_dir / f"governance-policies-{width}.png"), full_page=True)
    shown = page.locator("#next-run")
    recordings = int(shown.get_attribute("data-recordings") or "-1")
    compositions = int(shown.get_attribute("data-compositions") or "-1")
    size = shown.get_attribute("data-size")
    assert recordings > 0 and compositions > 0
    run = apply_retention()
    assert (run.recordings, run.compositions, f"{run.size_mb:.1f}") == (recordings, compositions, size)


def test_a_share_link_plays_for_a_signed_out_browser(
    page, live_server, admin_user, synced, artifacts_dir
) -> None:  # type: ignore[no-untyped-def]
    session_id = Recording.objects.order_by("session_id").values_list("session_id", flat=True).first()
    _link, token = create_link(user=admin_user, kind="session", target_id=session_id, days=1)
    page.goto(f"{live_server.url}/share/{token}/")
    assert "/accounts/login" not in page.url
    page.wait_for_function("document.querySelectorAll('audio').length >= 2")
    page.wait_for_function("document.querySelector('audio').readyState >= 1", timeout=15_000)
    assert page.evaluate("document.querySelector('audio').duration") > 0
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(artifacts_dir / f"governance-share-{width}.png"), full_page=True)
    assert page.locator("#bundle").count() == 1
