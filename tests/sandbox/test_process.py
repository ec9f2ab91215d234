"""The sandbox as a program: --port 0, the ready line, --state across restarts, --seed demo, --key-seed."""

from __future__ import annotations

import base64
import subprocess
import sys

import httpx

from sandbox.keys import new_private_bytes, private_key, public_b64
from sandbox.testing import REPO_ROOT, SandboxProcess


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


def _startup_lines(*args: str) -> list[str]:
    """stdout of ``python -m sandbox ARGS`` up to and including its SANDBOX_READY line."""
    process = subprocess.Popen(  # the worktree's own package, as SandboxProcess runs it
        [sys.executable, "-m", "sandbox", "--port", "0", "--api-key", "KEYPROCESS", *args],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    lines = []
    try:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("SANDBOX_READY "):
                break
    finally:
        process.terminate()
        process.wait(10)
    return lines


def test_key_seed_gives_a_stable_webhook_public_key_printed_on_startup():
    lines = _startup_lines("--key-seed", "team-demo")
    labelled = [line for line in lines if line.startswith("sandbox: webhook public key ")]
    assert len(labelled) == 1
    key = labelled[0].removeprefix("sandbox: webhook public key ")
    assert len(base64.b64decode(key, validate=True)) == 32
    assert key == public_b64(private_key(new_private_bytes("team-demo", "webhooks")))
    assert f"webhook_public_key={key} " in lines[-1]
    with SandboxProcess(key_seed="team-demo") as again:
        assert again.webhook_public_key == key
        status, _, body = again.request("GET", "/_sandbox/webhook-public-key", auth=False)
        assert status == 200 and body == {"public_key": key}
    with SandboxProcess(key_seed="another-team") as other:
        assert other.webhook_public_key != key
