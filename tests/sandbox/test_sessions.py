"""Sessions follow participants; moderation actions; deleting a room."""

from __future__ import annotations

import pytest

from sandbox.testing import SandboxError
from tests.sandbox.api import api_client, pointers


@pytest.fixture
def api(sandbox):
    with api_client(sandbox) as client:
        yield client


@pytest.fixture
def room(api):
    return api.post("/rooms", json={"unique_name": "live", "max_participants": 3}).json()["data"]


def session_of(api, session_id, **params):
    return api.get(f"/room_sessions/{session_id}", params=params).json()["data"]


def test_session_starts_on_first_join_and_ends_on_last_leave(sandbox, api, room):
    alice = sandbox.join(room["id"], "alice")
    bob = sandbox.join(room["id"], "bob")
    assert alice["session_id"] == bob["session_id"]
    assert session_of(api, alice["session_id"])["active"] is True
    sandbox.leave(alice["id"])
    assert session_of(api, alice["session_id"])["active"] is True
    sandbox.leave(bob["id"])
    ended = session_of(api, alice["session_id"])
    assert ended["active"] is False and "ended_at" in ended
    assert "active_session_id" not in api.get(f"/rooms/{room['id']}").json()["data"]
    again = sandbox.join(room["id"], "carol")
    assert again["session_id"] != alice["session_id"]
    assert api.get(f"/rooms/{room['id']}").json()["data"]["active_session_id"] == again["session_id"]


def test_joins_beyond_max_participants_are_refused(sandbox, room):
    for name in ("a", "b", "c"):
        sandbox.join(room["id"], name)
    with pytest.raises(SandboxError) as full:
        sandbox.join(room["id"], "d")
    assert full.value.status == 409


def test_mute_unmute_with_all_and_exclude(sandbox, api, room):
    a, b, c = (sandbox.join(room["id"], n) for n in "abc")
    sid = a["session_id"]
    assert api.post(
        f"/room_sessions/{sid}/actions/mute", json={"participants": "all", "exclude": [c["id"]]}
    ).json() == {"data": {"result": "ok"}}
    assert [sandbox.participant(p["id"])["audio_muted"] for p in (a, b, c)] == [True, True, False]
    api.post(f"/room_sessions/{sid}/actions/unmute", json={"participants": [a["id"]]})
    assert [sandbox.participant(p["id"])["audio_muted"] for p in (a, b, c)] == [False, True, False]


def test_kick_listed_participants_and_the_last_kick_ends_the_session(sandbox, api, room):
    a, b = sandbox.join(room["id"], "a"), sandbox.join(room["id"], "b")
    sid = a["session_id"]
    api.post(f"/room_sessions/{sid}/actions/kick", json={"participants": [a["id"]]})
    assert sandbox.participant(a["id"])["kicked"] is True
    assert sandbox.participant(b["id"])["kicked"] is False
    assert session_of(api, sid)["active"] is True
    api.post(f"/room_sessions/{sid}/actions/kick", json={"participants": "all"})
    assert session_of(api, sid)["active"] is False


def test_action_validation(sandbox, api, room):
    a = sandbox.join(room["id"], "a")
    sid = a["session_id"]
    assert pointers(api.post(f"/room_sessions/{sid}/actions/mute", json={})) == {"/participants"}
    assert pointers(api.post(f"/room_sessions/{sid}/actions/mute", json={"participants": ["x"]})) == {
        "/participants/0"
    }
    assert pointers(api.post(f"/room_sessions/{sid}/actions/kick", json={"participants": "some"})) == {
        "/participants"
    }


def test_end_kicks_everyone(sandbox, api, room):
    a, b = sandbox.join(room["id"], "a"), sandbox.join(room["id"], "b")
    assert api.post(f"/room_sessions/{a['session_id']}/actions/end").status_code == 200
    assert sandbox.participant(a["id"])["kicked"] and sandbox.participant(b["id"])["kicked"]
    assert session_of(api, a["session_id"])["active"] is False
    assert api.post(f"/room_sessions/{a['session_id']}/actions/end").status_code == 422


def test_deleting_a_room_kicks_everyone_ends_the_session_and_refuses_joins(sandbox, api, room):
    a = sandbox.join(room["id"], "a")
    assert api.delete(f"/rooms/{room['id']}").status_code == 204
    assert sandbox.participant(a["id"])["kicked"] is True
    assert session_of(api, a["session_id"])["active"] is False
    assert api.get(f"/rooms/{room['id']}").status_code == 404
    with pytest.raises(SandboxError) as refused:
        sandbox.join(room["id"], "b")
    assert refused.value.status == 409


def test_include_participants_and_session_filters(sandbox, api, room):
    a = sandbox.join(room["id"], "alice")
    other = api.post("/rooms", json={}).json()["data"]
    b = sandbox.join(other["id"], "bob")
    sandbox.leave(b["id"])
    sid = a["session_id"]
    assert session_of(api, sid)["participants"] == []
    assert [p["id"] for p in session_of(api, sid, include_participants="true")["participants"]] == [a["id"]]

    def ids(path, **params):
        return [s["id"] for s in api.get(path, params=params).json()["data"]]

    today = b["joined_at"][:10]
    assert ids("/room_sessions", **{"filter[active]": "true"}) == [sid]
    assert ids("/room_sessions", **{"filter[active]": "false"}) == [b["session_id"]]
    assert ids("/room_sessions", **{"filter[room_id]": other["id"]}) == [b["session_id"]]
    assert ids("/room_sessions", **{"filter[date_ended_at][eq]": today}) == [b["session_id"]]
    assert len(ids("/room_sessions", **{"filter[date_created_at][gte]": today})) == 2
    assert len(ids("/room_sessions", **{"filter[date_updated_at][lte]": today})) == 2
    assert ids(f"/rooms/{room['id']}/sessions") == [sid]
    assert ids(f"/rooms/{room['id']}/sessions", **{"filter[active]": "false"}) == []


def test_participant_filters(sandbox, api, room):
    a = sandbox.join(room["id"], "alice")
    b = sandbox.join(room["id"], "bob")
    sandbox.leave(b["id"])
    today = a["joined_at"][:10]

    def ids(path="/room_participants", **params):
        return {p["id"] for p in api.get(path, params=params).json()["data"]}

    assert ids(**{"filter[context]": "alice"}) == {a["id"]}
    assert ids(**{"filter[session_id]": a["session_id"]}) == {a["id"], b["id"]}
    assert ids(**{"filter[date_left_at][eq]": today}) == {b["id"]}
    assert ids(**{"filter[date_joined_at][gte]": today}) == {a["id"], b["id"]}
    assert ids(**{"filter[date_updated_at][lte]": "2000-01-01"}) == set()
    assert ids(f"/room_sessions/{a['session_id']}/participants", **{"filter[context]": "bob"}) == {b["id"]}
