"""The sandbox as a program: --port 0, the ready line, --state across restarts, --seed demo."""

from __future__ import annotations

import httpx

from sandbox.testing import SandboxProcess


def test_state_survives_a_restart_and_keeps_the_keys(tmp_path):
    state = tmp_path / "state.json"
    with SandboxProcess(state=state) as first:
        room = httpx.post(
            first.base_url + "/rooms",
            json={"unique_name": "kept"},
            headers={"Authorization": f"Bearer {first.api_key}"},
        ).json()["data"]
        first.join(room["id"], "alice")
        key = first.webhook_public_key
    assert state.exists()
    with SandboxProcess(state=state) as second:
        assert second.webhook_public_key == key
        again = httpx.get(
            f"{second.base_url}/rooms/{room['id']}", headers={"Authorization": f"Bearer {second.api_key}"}
        ).json()["data"]
        assert again["unique_name"] == "kept" and again["active_session_id"]


def test_demo_seed_is_alive():
    with SandboxProcess(seed="demo", churn=0.2) as demo:
        headers = {"Authorization": f"Bearer {demo.api_key}"}
        assert demo.base_url.endswith("/v2") and ":0/" not in demo.base_url
        comps = httpx.get(demo.base_url + "/room_compositions", headers=headers).json()["data"]
        assert {c["status"] for c in comps} == {"enqueued", "processing", "completed"}
        live = httpx.get(demo.base_url + "/room_sessions", params={"filter[active]": "true"}, headers=headers)
        session_id = live.json()["data"][0]["id"]

        def participants():
            return httpx.get(
                f"{demo.base_url}/room_sessions/{session_id}/participants", headers=headers
            ).json()

        before = participants()["meta"]["total_results"]
        demo.wait_for(lambda: participants()["meta"]["total_results"] > before, timeout=5)
        assert (
            httpx.get(demo.base_url + "/room_recordings", headers=headers).json()["meta"]["total_results"] > 0
        )
