"""Legal holds on the lists: a Held badge on each held row and a "Legal hold" filter (recordings,
compositions), a badge on the sessions list; Share… from each row for those who may share."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from dashboard.telnyx import get_client
from governance.holds import add_hold, release_hold
from recordings.models import Composition, Recording, SyncRun

pytestmark = pytest.mark.django_db

BASE = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def _id(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012d}"


@pytest.fixture
def rows() -> list[Recording]:
    """Nine recordings: three rooms of three sessions' worth (one recording each)."""
    return Recording.objects.bulk_create(
        Recording(
            telnyx_id=_id(i),
            room_id=f"room-{i // 3}",
            session_id=f"session-{i}",
            type="video",
            status="completed",
            size_mb=1.0,
            duration_secs=60,
            started_at=BASE - timedelta(minutes=i),
        )
        for i in range(9)
    )


def _held_rows(body: str, attribute: str = "data-recording") -> set[str]:
    return set(re.findall(rf'{attribute}="([^"]+)" data-held', body))


def _all_rows(body: str, attribute: str = "data-recording") -> set[str]:
    return set(re.findall(rf'{attribute}="([^"]+)"', body))


def test_held_recordings_carry_a_badge_and_the_filter_picks_them(viewer_client, admin_user, rows) -> None:  # type: ignore[no-untyped-def]
    add_hold(user=admin_user, scope="recording", target_id=_id(0), reason="subpoena")
    add_hold(user=admin_user, scope="session", target_id="session-4", reason="dispute")
    add_hold(user=admin_user, scope="room", target_id="room-2", reason="regulator")  # rows 6, 7, 8
    released = add_hold(user=admin_user, scope="recording", target_id=_id(1), reason="old matter")
    release_hold(user=admin_user, hold_id=released.pk, is_admin=True)
    held = {_id(0), _id(4), _id(6), _id(7), _id(8)}

    body = viewer_client.get(reverse("recordings:list")).content.decode()
    assert _all_rows(body) == {r.telnyx_id for r in rows}
    assert _held_rows(body) == held
    assert body.count('class="badge held"') == len(held)

    only_held = viewer_client.get(reverse("recordings:list"), {"hold": "held"})
    assert _all_rows(only_held.content.decode()) == held
    assert only_held.context["totals"]["count"] == len(held)
    not_held = viewer_client.get(reverse("recordings:list"), {"hold": "not_held"})
    assert _all_rows(not_held.content.decode()) == {r.telnyx_id for r in rows} - held
    assert not_held.context["totals"]["count"] == 9 - len(held)
    # Combined with another filter, and a value that is no choice: an error beside the field.
    both = viewer_client.get(reverse("recordings:list"), {"hold": "held", "room": "room-2"})
    assert _all_rows(both.content.decode()) == {_id(6), _id(7), _id(8)}
    bad = viewer_client.get(reverse("recordings:list"), {"hold": "maybe"})
    assert bad.status_code == 200 and "Select a valid choice" in bad.content.decode()
    assert _all_rows(bad.content.decode()) == {r.telnyx_id for r in rows}


def test_the_badges_cost_the_list_page_no_query(
    viewer_client, admin_user, django_assert_max_num_queries, rows
) -> None:  # type: ignore[no-untyped-def]
    """Held is read in the rows' own query: the page stays at six queries (see test_list_paging);
    the held filter needs a count the kept figures cannot give, one more, as any room filter does."""
    add_hold(user=admin_user, scope="room", target_id="room-1", reason="regulator")
    SyncRun.objects.create(kind=SyncRun.Kind.FULL, outcome=SyncRun.Outcome.SUCCEEDED, seen=9)
    viewer_client.get(reverse("recordings:list"))  # the first page after a change adds the figures up
    with django_assert_max_num_queries(6):
        body = viewer_client.get(reverse("recordings:list")).content.decode()
    assert _held_rows(body) == {_id(3), _id(4), _id(5)}
    with django_assert_max_num_queries(7):
        filtered = viewer_client.get(reverse("recordings:list"), {"hold": "held"}).content.decode()
    assert _all_rows(filtered) == {_id(3), _id(4), _id(5)}
    with django_assert_max_num_queries(7):
        viewer_client.get(reverse("recordings:list"), {"room": "room-1"})


def test_bulk_delete_of_held_recordings_is_refused_beside_the_filter(admin_client, rows) -> None:  # type: ignore[no-untyped-def]
    response = admin_client.get(reverse("recordings:bulk_delete"), {"hold": "held"})
    assert response.status_code == 400
    assert "under legal hold are never deleted" in response.content.decode()


def test_held_compositions_carry_a_badge_and_the_filter_picks_them(viewer_client, admin_user) -> None:  # type: ignore[no-untyped-def]
    for i in range(4):
        Composition.objects.create(
            telnyx_id=_id(100 + i), room_id=f"room-{i % 2}", session_id=f"session-{i}", status="completed"
        )
    add_hold(user=admin_user, scope="composition", target_id=_id(100), reason="subpoena")
    add_hold(user=admin_user, scope="room", target_id="room-1", reason="regulator")  # 101, 103
    held = {_id(100), _id(101), _id(103)}

    body = viewer_client.get(reverse("compositions:list")).content.decode()
    assert _held_rows(body, "data-composition") == held
    assert _all_rows(body, "data-composition") == held | {_id(102)}
    assert 'name="hold"' in body  # the filter is offered
    only_held = viewer_client.get(reverse("compositions:list"), {"hold": "held"}).content.decode()
    assert _all_rows(only_held, "data-composition") == held
    not_held = viewer_client.get(reverse("compositions:list"), {"hold": "not_held"}).content.decode()
    assert _all_rows(not_held, "data-composition") == {_id(102)}
    detail = viewer_client.get(reverse("compositions:detail", args=[_id(101)])).content.decode()
    assert 'class="badge held"' in detail


def test_moderators_share_from_the_lists_and_the_composition_page_viewers_do_not(
    moderator_client, viewer_client, rows
) -> None:  # type: ignore[no-untyped-def]
    composition = Composition.objects.create(telnyx_id=_id(200), room_id="room-0", session_id="session-0")
    shares = reverse("governance:shares")
    recording_link = f"{shares}?kind=recording&amp;target_id={_id(0)}"
    composition_link = f"{shares}?kind=composition&amp;target_id={composition.telnyx_id}"
    pages = {
        reverse("recordings:list"): recording_link,
        reverse("compositions:list"): composition_link,
        reverse("compositions:detail", args=[composition.telnyx_id]): composition_link,
    }
    for page, link in pages.items():
        assert link in moderator_client.get(page).content.decode(), page
        assert shares not in viewer_client.get(page).content.decode(), page
    listed = moderator_client.get(reverse("recordings:list")).content.decode()
    assert listed.count(f"{shares}?kind=recording&amp;") == len(rows)
    # The link lands on the share page with the item chosen.
    landed = moderator_client.get(shares, {"kind": "recording", "target_id": _id(0)})
    assert landed.status_code == 200
    assert landed.context["form"].initial == {"kind": "recording", "target_id": _id(0)}


def test_sessions_list_badges_held_sessions_and_the_session_page_offers_its_bundle(
    moderator_client, viewer_client, admin_user, telnyx_sandbox
) -> None:  # type: ignore[no-untyped-def]
    telnyx_sandbox.seed(rooms=2, sessions_per_room=2, participants_per_session=1)
    sessions = list(get_client().list_sessions(page=1, page_size=20).items)
    assert len(sessions) == 4
    by_session = sessions[0]
    by_room = next(s for s in sessions if s.room_id != by_session.room_id)
    add_hold(user=admin_user, scope="session", target_id=by_session.id, reason="dispute")
    add_hold(user=admin_user, scope="room", target_id=by_room.room_id, reason="regulator")
    held = {by_session.id} | {s.id for s in sessions if s.room_id == by_room.room_id}

    body = viewer_client.get(reverse("sessions:list")).content.decode()
    badged = set()
    for row in body.split("<tr>")[1:]:
        opened = re.search(r"/sessions/([0-9a-f-]{36})/", row)
        if opened and 'class="badge held"' in row:
            badged.add(opened.group(1))
    assert badged == held

    bundle = f"{reverse('governance:shares')}?kind=session&amp;target_id={by_session.id}"
    assert bundle in moderator_client.get(reverse("sessions:detail", args=[by_session.id])).content.decode()
    assert bundle not in viewer_client.get(reverse("sessions:detail", args=[by_session.id])).content.decode()
