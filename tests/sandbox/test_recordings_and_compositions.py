"""Recordings appear when a recording-enabled session ends; filters; bulk delete; compositions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sandbox.testing import SandboxError
from tests.sandbox.api import api_client, pointers


@pytest.fixture
def api(sandbox):
    with api_client(sandbox) as client:
        yield client


def finished_session(sandbox, api, *, recording=True, names=("alice", "bob")):
    room = api.post("/rooms", json={"enable_recording": recording}).json()["data"]
    people = [sandbox.join(room["id"], n) for n in names]
    for person in people:
        sandbox.leave(person["id"])
    return room, people


def ids(api, path, **params):
    return {r["id"] for r in api.get(path, params={"page[size]": 250, **params}).json()["data"]}


def test_each_participant_leaves_an_audio_and_a_video_recording(sandbox, api):
    room, (alice, bob) = finished_session(sandbox, api)
    recordings = api.get("/room_recordings").json()["data"]
    assert sorted((r["participant_id"], r["type"]) for r in recordings) == sorted(
        (p["id"], t) for p in (alice, bob) for t in ("audio", "video")
    )
    assert {r["status"] for r in recordings} == {"processing"}
    assert all("download_url" not in r for r in recordings)
    assert {r["id"] for r in recordings} == set(alice["recording_ids"] + bob["recording_ids"])
    sandbox.wait_for(
        lambda: {r["status"] for r in api.get("/room_recordings").json()["data"]} == {"completed"}
    )
    done = api.get("/room_recordings").json()["data"]
    assert all(r["download_url"].startswith(sandbox.root_url) and "completed_at" in r for r in done)


def test_no_recordings_without_enable_recording(sandbox, api):
    finished_session(sandbox, api, recording=False)
    assert api.get("/room_recordings").json()["data"] == []


def test_every_recording_filter(sandbox, api):
    sandbox.seed(rooms=2, sessions_per_room=3, participants_per_session=2)
    all_recs = api.get("/room_recordings", params={"page[size]": 250}).json()["data"]
    assert len(all_recs) == 24
    r0 = all_recs[0]
    day = r0["started_at"][:10]
    ended_day = r0["ended_at"][:10]
    cases = {
        "filter[room_id]": (r0["room_id"], lambda r: r["room_id"] == r0["room_id"]),
        "filter[session_id]": (r0["session_id"], lambda r: r["session_id"] == r0["session_id"]),
        "filter[participant_id]": (
            r0["participant_id"],
            lambda r: r["participant_id"] == r0["participant_id"],
        ),
        "filter[type]": ("video", lambda r: r["type"] == "video"),
        "filter[status]": ("completed", lambda r: True),
        "filter[duration_secs]": (
            str(r0["duration_secs"]),
            lambda r: r["duration_secs"] >= r0["duration_secs"],
        ),
        "filter[date_started_at][eq]": (day, lambda r: r["started_at"][:10] == day),
        "filter[date_started_at][gte]": (day, lambda r: r["started_at"][:10] >= day),
        "filter[date_started_at][lte]": (day, lambda r: r["started_at"][:10] <= day),
        "filter[date_ended_at][eq]": (ended_day, lambda r: r["ended_at"][:10] == ended_day),
        "filter[date_ended_at][gte]": (ended_day, lambda r: r["ended_at"][:10] >= ended_day),
        "filter[date_ended_at][lte]": (ended_day, lambda r: r["ended_at"][:10] <= ended_day),
    }
    for param, (value, keep) in cases.items():
        expected = {r["id"] for r in all_recs if keep(r)}
        assert ids(api, "/room_recordings", **{param: value}) == expected, param
    assert ids(api, "/room_recordings", **{"filter[status]": "processing"}) == set()
    assert pointers(api.get("/room_recordings", params={"filter[room_id]": "nope"})) == {"filter[room_id]"}


def test_seeded_recordings_spread_over_the_last_30_days(sandbox, api):
    sandbox.seed(rooms=5, sessions_per_room=20, participants_per_session=2)
    recs = api.get("/room_recordings", params={"page[size]": 250}).json()["data"]
    days = {r["started_at"][:10] for r in recs}
    oldest = (datetime.now(UTC) - timedelta(days=31)).date().isoformat()
    assert len(days) > 10 and min(days) >= oldest
    assert all(r["status"] == "completed" and r["download_url"] for r in recs)
    started = [r["created_at"] for r in recs]
    assert started == sorted(started, reverse=True)


def test_bulk_delete_honours_every_filter_and_returns_the_count(sandbox, api):
    sandbox.seed(rooms=2, sessions_per_room=2, participants_per_session=2)
    recs = api.get("/room_recordings", params={"page[size]": 250}).json()["data"]
    target = recs[0]
    response = api.delete(
        "/room_recordings", params={"filter[session_id]": target["session_id"], "filter[type]": "audio"}
    )
    assert response.status_code == 201
    assert response.json() == {"data": {"room_recordings": 2}}
    left = api.get("/room_recordings", params={"page[size]": 250}).json()["data"]
    assert len(left) == 14
    assert not [r for r in left if r["session_id"] == target["session_id"] and r["type"] == "audio"]
    day = target["started_at"][:10]
    expected = len([r for r in left if r["started_at"][:10] >= day])
    response = api.delete("/room_recordings", params={"filter[date_started_at][gte]": day})
    assert response.json()["data"]["room_recordings"] == expected
    everything = api.delete("/room_recordings").json()["data"]["room_recordings"]
    assert everything == 14 - expected
    assert api.get("/room_recordings").json()["meta"]["total_results"] == 0


def test_delete_one_recording(sandbox, api):
    finished_session(sandbox, api, names=("solo",))
    rec = api.get("/room_recordings").json()["data"][0]
    assert api.delete(f"/room_recordings/{rec['id']}").status_code == 204
    assert api.get(f"/room_recordings/{rec['id']}").status_code == 404


def test_composition_goes_enqueued_processing_completed_over_time(sandbox, api):
    room, people = finished_session(sandbox, api)
    sid = people[0]["session_id"]
    created = api.post("/room_compositions", json={"session_id": sid})
    assert created.status_code == 202
    comp = created.json()["data"]
    assert comp["status"] == "enqueued" and comp["resolution"] == "1280x720" and comp["format"] == "mp4"
    assert "download_url" not in comp
    seen = set()

    def completed():
        data = api.get(f"/room_compositions/{comp['id']}").json()["data"]
        seen.add(data["status"])
        return data if data["status"] == "completed" else None

    done = sandbox.wait_for(completed, timeout=5, interval=0.1)
    assert "processing" in seen
    assert (
        done["download_url"] and done["size_mb"] > 0 and done["duration_secs"] >= 1 and done["completed_at"]
    )
    videos = {r["id"] for r in api.get("/room_recordings", params={"filter[type]": "video"}).json()["data"]}
    assert set(done["video_layout"]["first"]["video_sources"]) == videos


def test_advance_moves_to_the_next_status_now(sandbox, api):
    _, people = finished_session(sandbox, api)
    comp = api.post("/room_compositions", json={"session_id": people[0]["session_id"]}).json()["data"]
    assert sandbox.advance_composition(comp["id"])["status"] == "processing"
    assert sandbox.advance_composition(comp["id"])["status"] == "completed"


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"resolution": "1281x720"}, "/resolution"),
        ({"resolution": "1280x1280"}, "/resolution"),
        ({"resolution": "15x15"}, "/resolution"),
        ({"resolution": "big"}, "/resolution"),
        ({"format": "webm"}, "/format"),
        ({"video_layout": {"a": {}, "b": {}, "c": {}}}, "/video_layout"),
        ({"video_layout": {"a": {"width": 8}}}, "/video_layout/a/width"),
        ({"video_layout": {"a": {"z_pos": 100}}}, "/video_layout/a/z_pos"),
        ({"video_layout": {"a": {"video_sources": ["x"]}}}, "/video_layout/a/video_sources/0"),
        ({"webhook_event_url": "nowhere"}, "/webhook_event_url"),
        ({"webhook_timeout_secs": 40}, "/webhook_timeout_secs"),
    ],
)
def test_invalid_composition_is_422_naming_the_field(sandbox, api, body, pointer):
    _, people = finished_session(sandbox, api, recording=False, names=("x",))
    response = api.post("/room_compositions", json={"session_id": people[0]["session_id"], **body})
    assert response.status_code == 422
    assert pointers(response) == {pointer}


def test_composition_needs_a_known_session(api):
    assert pointers(api.post("/room_compositions", json={})) == {"/session_id"}
    assert pointers(api.post("/room_compositions", json={"session_id": "abc"})) == {"/session_id"}
    missing = api.post("/room_compositions", json={"session_id": "0ccc7b54-4df3-4bca-a65a-3da1ecc777f0"})
    assert pointers(missing) == {"/session_id"}


def test_composition_filters_and_delete(sandbox, api):
    _, people = finished_session(sandbox, api)
    sid = people[0]["session_id"]
    one = api.post("/room_compositions", json={"session_id": sid}).json()["data"]
    two = api.post("/room_compositions", json={"session_id": sid}).json()["data"]
    sandbox.complete_composition(two["id"])
    today = one["created_at"][:10]
    assert ids(api, "/room_compositions", **{"filter[status]": "enqueued"}) == {one["id"]}
    assert ids(api, "/room_compositions", **{"filter[status]": "completed"}) == {two["id"]}
    assert ids(api, "/room_compositions", **{"filter[session_id]": sid}) == {one["id"], two["id"]}
    assert ids(api, "/room_compositions", **{"filter[date_created_at][eq]": today}) == {one["id"], two["id"]}
    assert ids(api, "/room_compositions", **{"filter[date_created_at][lte]": "2001-01-01"}) == set()
    assert pointers(api.get("/room_compositions", params={"filter[status]": "failed"})) == {"filter[status]"}
    assert api.delete(f"/room_compositions/{one['id']}").status_code == 204
    assert api.get(f"/room_compositions/{one['id']}").status_code == 404


def test_composition_without_failover_url_omits_it(sandbox, api):
    _, (alice, _bob) = finished_session(sandbox, api)
    for body in ({}, {"webhook_event_failover_url": ""}, {"webhook_event_failover_url": None}):
        made = api.post("/room_compositions", json={"session_id": alice["session_id"], **body})
        assert made.status_code == 202
        assert "webhook_event_failover_url" not in made.json()["data"]
        listed = api.get("/room_compositions").json()["data"]
        assert all("webhook_event_failover_url" not in c for c in listed)


def test_composition_takes_whole_number_floats_as_integers(sandbox, api):
    _, (alice, _bob) = finished_session(sandbox, api)
    body = {
        "session_id": alice["session_id"],
        "webhook_timeout_secs": 5.0,
        "video_layout": {"first": {"x_pos": 10.0, "y_pos": 0.0, "z_pos": 1.0, "video_sources": "*"}},
    }
    made = api.post("/room_compositions", json=body)
    assert made.status_code == 202
    assert '"webhook_timeout_secs":5,' in made.text and '"x_pos":10,' in made.text
    assert pointers(api.post("/room_compositions", json={**body, "webhook_timeout_secs": 5.5})) == {
        "/webhook_timeout_secs"
    }


def test_schedule_sets_when_a_composition_completes(sandbox, api):
    _, people = finished_session(sandbox, api)
    slow = api.post("/room_compositions", json={"session_id": people[0]["session_id"]}).json()["data"]
    fast = api.post("/room_compositions", json={"session_id": people[0]["session_id"]}).json()["data"]
    later = sandbox.schedule_composition(slow["id"], completes_in=3600, processing_in=0)
    soon = sandbox.schedule_composition(fast["id"], completes_in=0.3, processing_in=0.1)
    assert later["status"] == soon["status"] == "enqueued"
    assert soon["processing_at"] < soon["completes_at"] < later["completes_at"] - 3000

    done = sandbox.wait_for(lambda: (c := api.get(f"/room_compositions/{fast['id']}").json()["data"])
                            ["status"] == "completed" and c)  # fmt: skip
    completed_at = datetime.fromisoformat(done["completed_at"].replace("Z", "+00:00"))
    assert abs(completed_at.timestamp() - soon["completes_at"]) < 0.001
    assert api.get(f"/room_compositions/{slow['id']}").json()["data"]["status"] == "processing"
    with pytest.raises(SandboxError) as caught:
        sandbox.schedule_composition(fast["id"], completes_in=1)
    assert caught.value.status == 409


@pytest.mark.parametrize("body", [{}, {"completes_in_secs": -1}, {"completes_in_secs": "5"},
                                  {"completes_in_secs": 5, "processing_in_secs": True}, []])  # fmt: skip
def test_schedule_refuses_a_bad_body(sandbox, api, body):
    _, people = finished_session(sandbox, api, names=("x",))
    comp = api.post("/room_compositions", json={"session_id": people[0]["session_id"]}).json()["data"]
    status, _, answer = sandbox.request("PUT", f"/_sandbox/compositions/{comp['id']}/schedule", body)
    assert status == 422, answer
    unknown = "/_sandbox/compositions/00000000-0000-4000-8000-000000000000/schedule"
    assert sandbox.request("PUT", unknown, {"completes_in_secs": 1})[0] == 404
