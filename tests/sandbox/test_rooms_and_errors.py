"""Rooms, authentication, validation errors and paging."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.sandbox.api import api_client, pointers


@pytest.fixture
def api(sandbox):
    with api_client(sandbox) as client:
        yield client


def test_missing_or_wrong_key_is_401_with_code_10009(sandbox, api):
    with api_client(sandbox, api_key="nope") as wrong:
        response = wrong.get("/rooms")
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "10009"
    assert api.get("/rooms", headers={"Authorization": ""}).status_code == 401


def test_unknown_id_is_404_with_code_10005_and_malformed_id_too(api):
    for path in (f"/rooms/{uuid.uuid4()}", "/rooms/not-a-uuid", f"/room_recordings/{uuid.uuid4()}"):
        response = api.get(path)
        assert response.status_code == 404
        assert response.json()["errors"][0]["code"] == "10005"


def test_room_defaults(api):
    room = api.post("/rooms", json={}).json()["data"]
    assert room["max_participants"] == 10
    assert room["enable_recording"] is False
    assert "active_session_id" not in room


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"max_participants": 1}, "/max_participants"),
        ({"max_participants": 51}, "/max_participants"),
        ({"max_participants": "ten"}, "/max_participants"),
        ({"webhook_event_url": "example.com/hook"}, "/webhook_event_url"),
        ({"webhook_event_failover_url": "ftp:/x"}, "/webhook_event_failover_url"),
        ({"webhook_timeout_secs": 31}, "/webhook_timeout_secs"),
        ({"webhook_timeout_secs": -1}, "/webhook_timeout_secs"),
        ({"enable_recording": "yes"}, "/enable_recording"),
    ],
)
def test_invalid_room_fields_are_422_naming_the_field(api, body, pointer):
    response = api.post("/rooms", json=body)
    assert response.status_code == 422
    assert pointers(response) == {pointer}
    assert response.json()["errors"][0]["code"] == "10015"


def test_one_error_per_problem(api):
    response = api.post(
        "/rooms", json={"max_participants": 99, "webhook_event_url": "x", "webhook_timeout_secs": 99}
    )
    assert pointers(response) == {"/max_participants", "/webhook_event_url", "/webhook_timeout_secs"}
    assert len(response.json()["errors"]) == 3


def test_patch_validates_and_updates(api):
    room = api.post("/rooms", json={"unique_name": "a"}).json()["data"]
    assert pointers(api.patch(f"/rooms/{room['id']}", json={"max_participants": 0})) == {"/max_participants"}
    updated = api.patch(f"/rooms/{room['id']}", json={"webhook_event_url": "https://h.example/x"}).json()[
        "data"
    ]
    assert updated["webhook_event_url"] == "https://h.example/x"
    assert updated["updated_at"] >= room["updated_at"]


def test_bad_json_is_422(api):
    response = api.post("/rooms", content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert pointers(response) == {"/"}


@pytest.mark.parametrize("size", ["0", "251", "abc"])
def test_page_size_out_of_range_is_422_naming_the_parameter(api, size):
    response = api.get("/room_recordings", params={"page[size]": size})
    assert response.status_code == 422
    assert pointers(response) == {"page[size]"}


def test_bad_date_filter_is_422(api):
    response = api.get("/rooms", params={"filter[date_created_at][gte]": "yesterday"})
    assert pointers(response) == {"filter[date_created_at][gte]"}


def test_paging_is_newest_first_and_stable(sandbox, api):
    ids = [api.post("/rooms", json={"unique_name": f"r{i}"}).json()["data"]["id"] for i in range(7)]
    seen = []
    for number in (1, 2, 3):
        body = api.get("/rooms", params={"page[size]": 3, "page[number]": number}).json()
        assert body["meta"] == {"page_number": number, "page_size": 3, "total_pages": 3, "total_results": 7}
        seen += [r["id"] for r in body["data"]]
    assert seen == ids[::-1]
    beyond = api.get("/rooms", params={"page[size]": 3, "page[number]": 9}).json()
    assert beyond["data"] == [] and beyond["meta"]["total_results"] == 7


def test_room_filters(api):
    a = api.post("/rooms", json={"unique_name": "alpha"}).json()["data"]
    api.post("/rooms", json={"unique_name": "beta"})
    today = a["created_at"][:10]
    assert [r["id"] for r in api.get("/rooms", params={"filter[unique_name]": "alpha"}).json()["data"]] == [
        a["id"]
    ]
    assert len(api.get("/rooms", params={"filter[date_created_at][eq]": today}).json()["data"]) == 2
    assert api.get("/rooms", params={"filter[date_created_at][lte]": "2020-01-01"}).json()["data"] == []
    assert len(api.get("/rooms", params={"filter[date_updated_at][gte]": today}).json()["data"]) == 2


def test_include_sessions(sandbox, api):
    room = api.post("/rooms", json={}).json()["data"]
    alice = sandbox.join(room["id"], "alice")
    plain = api.get(f"/rooms/{room['id']}").json()["data"]
    assert plain["sessions"] == [] and plain["active_session_id"] == alice["session_id"]
    full = api.get(f"/rooms/{room['id']}", params={"include_sessions": "true"}).json()["data"]
    assert [s["id"] for s in full["sessions"]] == [alice["session_id"]]
    listed = api.get("/rooms", params={"include_sessions": "true"}).json()["data"]
    assert listed[0]["sessions"][0]["active"] is True


def test_request_counts_by_operation_and_status(sandbox, api):
    api.get("/rooms")
    api.get("/rooms")
    api.get(f"/rooms/{uuid.uuid4()}")
    counts = sandbox.request_counts()
    assert counts == {"GET /rooms": {200: 2}, "GET /rooms/{room_id}": {404: 1}}
    sandbox.clear_request_counts()
    assert sandbox.request_counts() == {}


def test_unset_failover_url_is_omitted_and_clearing_it_omits_it_again(api):
    room = api.post("/rooms", json={}).json()["data"]
    assert "webhook_event_failover_url" not in room
    assert "webhook_event_failover_url" not in api.get(f"/rooms/{room['id']}").json()["data"]
    for cleared in (None, ""):
        url = "https://failover.example.com/hooks"
        kept = api.patch(f"/rooms/{room['id']}", json={"webhook_event_failover_url": url}).json()["data"]
        assert kept["webhook_event_failover_url"] == url
        again = api.patch(f"/rooms/{room['id']}", json={"webhook_event_failover_url": cleared}).json()["data"]
        assert "webhook_event_failover_url" not in again
        assert "webhook_event_failover_url" not in api.get(f"/rooms/{room['id']}").json()["data"]
    made = api.post("/rooms", json={"webhook_event_url": "", "webhook_event_failover_url": ""}).json()["data"]
    assert "webhook_event_url" not in made and "webhook_event_failover_url" not in made


def test_whole_number_floats_count_as_integers_and_are_answered_as_integers(api):
    response = api.post("/rooms", json={"max_participants": 30.0, "webhook_timeout_secs": 10.0})
    assert response.status_code == 201
    assert '"max_participants":30,' in response.text and '"webhook_timeout_secs":10' in response.text
    room = response.json()["data"]
    patched = api.patch(f"/rooms/{room['id']}", json={"max_participants": 12.0}).json()["data"]
    assert patched["max_participants"] == 12 and type(patched["max_participants"]) is int


@pytest.mark.parametrize("value", [30.5, True, False, "30"])
def test_fractions_booleans_and_strings_are_still_not_integers(api, value):
    assert pointers(api.post("/rooms", json={"max_participants": value})) == {"/max_participants"}


@pytest.mark.parametrize("method", ["OPTIONS", "TRACE", "PUT", "BREW"])
def test_unsupported_methods_answer_405_json_with_allow(sandbox, method):
    # Not through ``api``: the spec has no operation for these methods to validate against.
    with httpx.Client(base_url=sandbox.base_url) as raw:
        response = raw.request(method, "/rooms", headers={"Authorization": f"Bearer {sandbox.api_key}"})
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/json"
    assert set(response.headers["allow"].split(", ")) == {"GET", "POST"}
    error = response.json()["errors"][0]
    assert set(error) >= {"code", "title", "detail"}


@pytest.mark.parametrize("method", ["OPTIONS", "TRACE"])
def test_unsupported_methods_on_unknown_paths_answer_404_json(sandbox, method):
    with httpx.Client(base_url=sandbox.root_url) as raw:
        for path in ("/v2/nowhere", "/elsewhere", f"/_sandbox/nowhere/{method.lower()}"):
            response = raw.request(method, path, headers={"Authorization": f"Bearer {sandbox.api_key}"})
            assert response.status_code == 404, path
            assert response.json()["errors"][0]["code"] == "10005"


def test_control_api_405_names_the_allowed_methods(sandbox):
    with httpx.Client(base_url=sandbox.root_url) as raw:
        response = raw.request(
            "TRACE", "/_sandbox/faults", headers={"Authorization": f"Bearer {sandbox.api_key}"}
        )
    assert response.status_code == 405
    assert set(response.headers["allow"].split(", ")) == {"GET", "PUT", "DELETE"}
    assert response.json()["errors"][0]["title"] == "Method not allowed"
