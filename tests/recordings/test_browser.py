"""Recordings and compositions in a real browser: filter, play, compose and watch the badge."""

from __future__ import annotations

import pytest

from recordings.models import Recording
from recordings.services.sync import sync_recordings
from tests.conftest import PASSWORD
from tests.fixtures.browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def synced(telnyx_sandbox):  # type: ignore[no-untyped-def]
    telnyx_sandbox.seed(rooms=10, sessions_per_room=10, participants_per_session=2)
    sync_recordings()
    return telnyx_sandbox


def test_filter_the_recordings_table(page, live_server, viewer_user, synced, artifacts_dir) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server.url, viewer_user.username, PASSWORD)
    page.goto(f"{live_server.url}/recordings/")
    assert page.locator("[data-total=count]").inner_text() == "400"
    page.select_option("select[name=type]", "audio")  # htmx swaps the table on change
    page.wait_for_function("document.querySelector('[data-total=count]').textContent.trim() === '200'")
    types = page.locator("table.recordings tbody tr td:nth-child(4)").all_inner_texts()
    assert types and set(types) == {"audio"}
    assert "type=audio" in page.url  # the filter is in the address, so the page can be shared
    page.screenshot(path=str(artifacts_dir / "recordings-filtered.png"), full_page=True)


def test_play_a_recording_in_the_page(page, live_server, viewer_user, synced) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, live_server.url, viewer_user.username, PASSWORD)
    page.goto(f"{live_server.url}/recordings/?type=audio")
    page.locator("button[data-play]").first.click()
    player = page.locator("tr.player-row audio")
    player.wait_for()
    page.wait_for_function("document.querySelector('tr.player-row audio').readyState >= 1", timeout=15_000)
    duration = page.evaluate("document.querySelector('tr.player-row audio').duration")
    assert duration > 0


def test_create_a_composition_and_watch_its_badge_reach_completed(
    page, live_server, viewer_user, synced, celery_worker, celery_beat, artifacts_dir
) -> None:  # type: ignore[no-untyped-def]
    session_id = (
        Recording.objects.filter(type="video").order_by("telnyx_id").values_list("session_id", flat=True)[0]
    )
    sign_in(page, live_server.url, viewer_user.username, PASSWORD)
    page.goto(f"{live_server.url}/compositions/new?session_id={session_id}")
    page.select_option("select[name=resolution]", "custom")
    page.fill("input[name=width]", "960")
    page.fill("input[name=height]", "540")
    page.check("input[name=layout][value=side_by_side]")
    page.click("button[value=preview]")
    page.wait_for_selector("#layout-preview svg g[data-region=left]")
    assert page.locator("#layout-preview svg g[data-region]").count() == 2
    page.click("#create-composition")
    page.wait_for_url("**/compositions/*/")
    badge = page.locator("#composition-badge [data-status]")
    assert badge.get_attribute("data-status") in {"enqueued", "processing", "completed"}
    page.wait_for_selector("#composition-badge [data-status=completed]", timeout=40_000)
    page.wait_for_selector("#composition-badge video")
    page.screenshot(path=str(artifacts_dir / "composition-completed.png"), full_page=True)
