"""``rooms.services`` against the sandbox as a real server: rules, audit entries and domain errors."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.cache import cache

from audit.models import AuditEntry
from dashboard.errors import NotFound, Refused, Unavailable, UserError
from dashboard.last_known import last_known
from dashboard.telnyx import get_client
from rooms import moderation, services, tokens

pytestmark = pytest.mark.django_db


def test_list_rooms_pages_with_live_counts(telnyx_sandbox, make_room):
    rooms = [make_room(unique_name=f"room-{i:02d}") for i in range(5)]
    telnyx_sandbox.join(rooms[0].id, "alice")
    telnyx_sandbox.join(rooms[0].id, "bob")
    first = services.list_rooms(page=1, page_size=2)
    assert first.meta.total_results == 5 and first.meta.total_pages == 3
    assert len(first.items) == 2
    everything = services.list_rooms(page_size=10).items
    live = [row for row in everything if row.live_session_id]
    assert [row.room.id for row in live] == [rooms[0].id]
    assert live[0].present == 2
    assert all(row.present == 0 for row in everything if row.room.id != rooms[0].id)


def test_list_rooms_searches_any_part_of_the_name_and_filters_dates(telnyx_sandbox, make_room):
    make_room(unique_name="Daily standup")
    make_room(unique_name="Design review")
    make_room(unique_name="Retro")
    names = [row.room.unique_name for row in services.list_rooms(name="de").items]
    assert names == ["Design review"]
    names = [row.room.unique_name for row in services.list_rooms(name="D").items]
    assert sorted(names) == ["Daily standup", "Design review"]
    today = date.today()
    assert services.list_rooms(created_from=today + timedelta(days=1)).meta.total_results == 0
    assert services.list_rooms(created_to=today + timedelta(days=1)).meta.total_results == 3


def test_create_room_is_audited_with_what_was_sent(telnyx_sandbox, admin_user):
    room = services.create_room(
        user=admin_user, unique_name="board", max_participants=12, webhook_event_url=""
    )
    assert get_client().get_room(room.id).max_participants == 12
    entry = AuditEntry.objects.get(action=AuditEntry.Action.ROOM_CREATE)
    assert entry.succeeded and entry.user == admin_user and entry.room_id == room.id
    assert entry.target == {"fields": {"unique_name": "board", "max_participants": 12}}


def test_a_422_from_telnyx_maps_to_its_field_and_is_audited_as_refused(telnyx_sandbox, admin_user):
    with pytest.raises(Refused) as caught:
        services.create_room(
            user=admin_user, unique_name="bad-hook", webhook_event_url="ftp://example.com/hook"
        )
    assert list(caught.value.field_errors) == ["webhook_event_url"]
    assert "scheme" in caught.value.field_errors["webhook_event_url"][0]
    entry = AuditEntry.objects.get()
    assert not entry.succeeded and "webhook_event_url" in entry.message
    assert telnyx_sandbox.api_key not in entry.message
    assert services.list_rooms().meta.total_results == 0


def test_update_and_delete_room(telnyx_sandbox, admin_user, make_room):
    room = make_room(unique_name="old", webhook_event_url="https://example.com/a")
    services.update_room(user=admin_user, room_id=room.id, unique_name="new", webhook_event_url="")
    fresh = get_client().get_room(room.id)
    assert fresh.unique_name == "new" and not fresh.webhook_event_url
    telnyx_sandbox.join(room.id, "alice")
    message = services.delete_room(user=admin_user, room_id=room.id, room_name="new")
    assert message == "Telnyx deleted room new."
    with pytest.raises(NotFound):
        services.get_room(room_id=room.id)
    actions = list(AuditEntry.objects.order_by("id").values_list("action", "succeeded"))
    assert actions == [("room.update", True), ("room.delete", True)]


def test_update_of_a_missing_room_is_not_found(telnyx_sandbox, admin_user):
    with pytest.raises(NotFound):
        services.update_room(user=admin_user, room_id="00000000-0000-4000-8000-000000000000", unique_name="x")
    assert not AuditEntry.objects.get().succeeded


def test_room_detail_has_live_session_and_paged_history(telnyx_sandbox, make_room):
    room = make_room()
    for _ in range(3):  # three ended sessions
        telnyx_sandbox.leave(telnyx_sandbox.join(room.id, "x")["id"])
    telnyx_sandbox.join(room.id, "live-one")
    detail = services.get_room_detail(room_id=room.id, page_size=2)
    assert detail.live is not None and [r.participant.context for r in detail.live.present] == ["live-one"]
    assert detail.sessions.meta.total_results == 4 and len(detail.sessions.items) == 2


def test_list_sessions_by_room_status_and_date(telnyx_sandbox, make_room):
    a, b = make_room(unique_name="a"), make_room(unique_name="b")
    telnyx_sandbox.leave(telnyx_sandbox.join(a.id, "x")["id"])
    telnyx_sandbox.join(a.id, "y")
    telnyx_sandbox.join(b.id, "z")
    assert services.list_sessions().meta.total_results == 3
    assert services.list_sessions(room_id=a.id).meta.total_results == 2
    live = services.list_sessions(active=True).items
    assert {row.room_name for row in live} == {"a", "b"}
    assert services.list_sessions(active=False).meta.total_results == 1
    assert services.list_sessions(on_date=date.today()).meta.total_results == 3
    assert services.list_sessions(on_date=date.today() - timedelta(days=2)).meta.total_results == 0


def test_get_session_lists_present_first_and_participants(live_session, telnyx_sandbox):
    room, session_id, people = live_session
    telnyx_sandbox.leave(people["bob"])
    detail = services.get_session(session_id=session_id)
    assert [r.participant.context for r in detail.rows] == ["alice", "carol", "bob"]
    assert [r.present for r in detail.rows] == [True, True, False]
    assert detail.room is not None and detail.room.unique_name == "standup"
    assert {p.id for p in services.list_participants(session_id=session_id)} == set(people.values())
    assert services.get_participant(participant_id=people["alice"]).context == "alice"


def test_mute_all_except_mutes_exactly_the_others(live_session, telnyx_sandbox, moderator_user):
    _, session_id, people = live_session
    result = moderation.moderate(
        user=moderator_user, session_id=session_id, action="mute", participants="all", exclude=[people["bob"]]
    )
    assert result.accepted
    assert result.message == "Telnyx accepted: muted all 2 participants except bob."
    muted = {name for name, pid in people.items() if telnyx_sandbox.participant(pid)["audio_muted"]}
    assert muted == {"alice", "carol"}
    assert {r.participant.context: r.muted for r in result.detail.rows} == {
        "alice": True,
        "bob": None,
        "carol": True,
    }
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.user, entry.session_id, entry.succeeded) == (
        "session.mute",
        moderator_user,
        session_id,
        True,
    )
    assert entry.target["participants"] == "all" and entry.target["exclude"] == [people["bob"]]


def test_known_mutes_follow_the_dashboards_own_actions(live_session, telnyx_sandbox, moderator_user):
    _, session_id, people = live_session
    moderation.moderate(user=moderator_user, session_id=session_id, action="mute", participants="all")
    moderation.moderate(
        user=moderator_user, session_id=session_id, action="unmute", participants=[people["carol"]]
    )
    late = telnyx_sandbox.join(live_session[0].id, "dave")["id"]  # joined after "mute all": not muted
    cache.clear()  # the console's shared Telnyx snapshot is due again (its polling period passed)
    rows = {r.participant.id: r.muted for r in moderation.console(session_id=session_id).rows}
    assert rows == {people["alice"]: True, people["bob"]: True, people["carol"]: False, late: None}
    sandbox_view = {pid: telnyx_sandbox.participant(pid)["audio_muted"] for pid in rows}
    assert sandbox_view == {people["alice"]: True, people["bob"]: True, people["carol"]: False, late: False}


def test_kick_a_list_and_end_the_session(live_session, telnyx_sandbox, moderator_user):
    _, session_id, people = live_session
    result = moderation.moderate(
        user=moderator_user,
        session_id=session_id,
        action="kick",
        participants=[people["alice"], people["bob"]],
    )
    assert result.accepted and result.message == "Telnyx accepted: kicked alice, bob."
    assert telnyx_sandbox.participant(people["alice"])["kicked"]
    assert not telnyx_sandbox.participant(people["carol"])["kicked"]
    ended = moderation.end_session(user=moderator_user, session_id=session_id)
    assert ended.accepted and ended.detail is not None and not ended.detail.active
    assert telnyx_sandbox.participant(people["carol"])["kicked"]
    assert list(AuditEntry.objects.order_by("id").values_list("action", flat=True)) == [
        "session.kick",
        "session.end",
    ]


def test_action_on_an_ended_session_is_refused_and_audited(live_session, telnyx_sandbox, moderator_user):
    _, session_id, people = live_session
    moderation.end_session(user=moderator_user, session_id=session_id)
    result = moderation.moderate(
        user=moderator_user, session_id=session_id, action="mute", participants="all"
    )
    assert not result.accepted
    assert result.message.startswith("Telnyx refused to mute all participants:")
    assert "already ended" in result.message
    assert not AuditEntry.objects.filter(action="session.mute").get().succeeded


def test_join_tokens_generate_and_refresh_are_audited(telnyx_sandbox, make_room, moderator_user):
    room = make_room()
    token = tokens.generate_join_token(
        user=moderator_user, room_id=room.id, token_ttl_secs=60, refresh_token_ttl_secs=120
    )
    assert token.token and token.refresh_token
    lifetime = (token.refresh_token_expires_at - token.token_expires_at).total_seconds()
    assert 55 <= lifetime <= 65  # 120 s refresh token, 60 s token
    refreshed = tokens.refresh_join_token(
        user=moderator_user, room_id=room.id, refresh_token=token.refresh_token, token_ttl_secs=30
    )
    assert refreshed.token and refreshed.token != token.token
    entries = list(AuditEntry.objects.order_by("id"))
    assert [(e.action, e.succeeded) for e in entries] == [("token.generate", True), ("token.refresh", True)]
    assert all(token.token not in e.message and token.refresh_token not in str(e.target) for e in entries)


def test_refresh_with_a_bad_token_is_refused(telnyx_sandbox, make_room, moderator_user):
    room = make_room()
    with pytest.raises(UserError) as caught:
        tokens.refresh_join_token(user=moderator_user, room_id=room.id, refresh_token="not-a-token")
    assert caught.value.message
    assert not AuditEntry.objects.get().succeeded


def test_outage_is_telnyx_unavailable_and_last_known_serves_the_copy(telnyx_sandbox, make_room, settings):
    settings.TELNYX_BREAKER_FAILURES = 100  # the same 503 twice, not the breaker's refusal
    make_room(unique_name="kept")
    fresh = last_known(services.list_rooms)
    assert not fresh.stale and fresh.value.meta.total_results == 1
    telnyx_sandbox.set_faults(rate=1.0, statuses=[503], retry_after=0)
    with pytest.raises(Unavailable) as caught:
        services.list_rooms()
    assert "503" in caught.value.message and telnyx_sandbox.api_key not in caught.value.message
    stale = last_known(services.list_rooms)
    assert stale.stale and stale.error == caught.value.message
    assert [r.room.unique_name for r in stale.value.items] == ["kept"]
    empty = last_known(services.list_rooms, name="never-fetched", default=[])
    assert empty.stale and empty.value == []
