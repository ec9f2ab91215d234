"""Webhooks: Telnyx's Ed25519 signature over "{timestamp}|{body}", failover, timeout, off the request path."""

from __future__ import annotations

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from nacl.signing import VerifyKey

from tests.sandbox.api import api_client


class Receiver:
    """A local webhook endpoint; ``behaviour`` per path: "ok", "fail" (500) or "slow" (sleeps 3 s)."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.behaviour: dict[str, str] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                mode = receiver.behaviour.get(self.path, "ok")
                if mode == "slow":
                    time.sleep(3)
                receiver.received.append({"path": self.path, "headers": self.headers, "body": body})
                self.send_response(500 if mode == "fail" else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self, path=None):
        return [json.loads(r["body"])["data"] for r in self.received if path is None or r["path"] == path]


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.server.shutdown()


@pytest.fixture
def api(sandbox):
    with api_client(sandbox) as client:
        yield client


def test_events_are_signed_like_telnyx(sandbox, api, receiver):
    room = api.post(
        "/rooms", json={"webhook_event_url": receiver.url + "/hook", "enable_recording": True}
    ).json()["data"]
    alice = sandbox.join(room["id"], "alice")
    sandbox.leave(alice["id"])
    wanted = {
        "video.room.session.started",
        "video.room.participant.joined",
        "video.room.recording.started",
        "video.room.participant.left",
        "video.room.session.ended",
        "video.room.recording.completed",
    }
    sandbox.wait_for(lambda: wanted <= {e["event_type"] for e in receiver.events()})
    verify = VerifyKey(base64.b64decode(sandbox.webhook_public_key))
    for request in receiver.received:
        timestamp = request["headers"]["telnyx-timestamp"]
        signature = base64.b64decode(request["headers"]["telnyx-signature-ed25519"])
        verify.verify(f"{timestamp}|".encode() + request["body"], signature)
        assert abs(int(timestamp) - time.time()) < 300
        event = json.loads(request["body"])["data"]
        assert event["record_type"] == "event" and event["id"] and event["occurred_at"].endswith("Z")
        assert event["payload"]["room_id"] == room["id"]
    by_type = {e["event_type"]: e["payload"] for e in receiver.events()}
    assert by_type["video.room.participant.left"]["participant_id"] == alice["id"]
    assert by_type["video.room.participant.left"]["left_reason"] == "left"
    assert by_type["video.room.session.ended"]["session_id"] == alice["session_id"]
    assert {"codec", "download_url", "duration_secs", "size_mb", "recording_id", "type"} <= set(
        by_type["video.room.recording.completed"]
    )


def test_kick_is_reported_as_left_reason_kick(sandbox, api, receiver):
    room = api.post("/rooms", json={"webhook_event_url": receiver.url}).json()["data"]
    alice = sandbox.join(room["id"], "alice")
    api.post(f"/room_sessions/{alice['session_id']}/actions/kick", json={"participants": "all"})
    left = sandbox.wait_for(
        lambda: [e for e in receiver.events() if e["event_type"] == "video.room.participant.left"]
    )
    assert left[0]["payload"]["left_reason"] == "kick"


def test_failover_on_error(sandbox, api, receiver):
    receiver.behaviour["/primary"] = "fail"
    room = api.post(
        "/rooms",
        json={
            "webhook_event_url": receiver.url + "/primary",
            "webhook_event_failover_url": receiver.url + "/backup",
        },
    ).json()["data"]
    sandbox.join(room["id"], "alice")
    sandbox.wait_for(lambda: len(receiver.events("/backup")) >= 2)
    assert {e["id"] for e in receiver.events("/primary")} == {e["id"] for e in receiver.events("/backup")}


def test_slow_receiver_times_out_to_failover_and_never_slows_the_api(sandbox, api, receiver):
    receiver.behaviour["/slow"] = "slow"
    room = api.post(
        "/rooms",
        json={
            "webhook_event_url": receiver.url + "/slow",
            "webhook_event_failover_url": receiver.url + "/backup",
            "webhook_timeout_secs": 1,
        },
    ).json()["data"]
    started = time.monotonic()
    sandbox.join(room["id"], "alice")
    api.get(f"/rooms/{room['id']}")
    assert time.monotonic() - started < 0.5
    sandbox.wait_for(lambda: len(receiver.events("/backup")) >= 2, timeout=6)
    primary = [d for d in sandbox.webhook_deliveries() if d["attempt"] == "primary"]
    assert primary and primary[0]["status"] is None and primary[0]["elapsed_secs"] < 2


def test_composition_completed_goes_to_the_composition_url(sandbox, api, receiver):
    room = api.post("/rooms", json={}).json()["data"]
    alice = sandbox.join(room["id"], "alice")
    sandbox.leave(alice["id"])
    comp = api.post(
        "/room_compositions",
        json={"session_id": alice["session_id"], "webhook_event_url": receiver.url + "/c"},
    ).json()["data"]
    sandbox.complete_composition(comp["id"])
    events = sandbox.wait_for(lambda: receiver.events("/c"))
    assert events[0]["event_type"] == "video.room.composition.completed"
    payload = events[0]["payload"]
    assert payload["composition_id"] == comp["id"] and payload["download_url"] and payload["format"] == "mp4"
