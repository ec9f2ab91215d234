"""Real deliveries: the sandbox signs and posts to the live server, a real Celery worker applies.

The burst posts 1,000 signed events, and 100 of them again, from several threads at the live server
(the tests' own key: the worker applies, it does not verify) and checks that none is lost and none
applied twice.
"""

from __future__ import annotations

import base64
import hashlib
import random
import statistics
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from nacl.signing import SigningKey

from dashboard.telnyx import get_client
from tests.fixtures.celery_worker import wait_for
from tests.fixtures.sandbox import TEST_TIMINGS
from webhooks.live import session_state
from webhooks.models import LiveParticipant, WebhookEvent

from .conftest import RECEIVER, event, signed_headers

pytestmark = pytest.mark.django_db(transaction=True)

LIVE_TYPES = {
    "video.room.session.started",
    "video.room.participant.joined",
    "video.room.participant.left",
    "video.room.session.ended",
}


def test_sandbox_key_is_the_one_derived_from_the_tests_seed(sandbox):
    """The tests can sign as the sandbox does (its webhook key comes from ``key_seed``)."""
    seed = hashlib.sha256(f"webhooks:{TEST_TIMINGS['key_seed']}".encode()).digest()
    public = base64.b64encode(bytes(SigningKey(seed).verify_key)).decode()
    assert public == sandbox.webhook_public_key


def test_sandbox_delivery_is_stored_and_applied_by_the_worker(live_server, telnyx_sandbox, celery_worker):
    room = get_client().create_room(unique_name="hooked", webhook_event_url=live_server.url + RECEIVER)
    alice = telnyx_sandbox.join(room.id, "alice")
    bob = telnyx_sandbox.join(room.id, "bob")
    telnyx_sandbox.leave(bob["id"])
    session_id = alice["session_id"]

    def delivered() -> bool:
        ok = [d for d in telnyx_sandbox.webhook_deliveries() if d["status"] == 200]
        return len(ok) >= 4  # started, alice joined, bob joined, bob left

    assert wait_for(delivered, timeout=15), telnyx_sandbox.webhook_deliveries()
    stored = WebhookEvent.objects.filter(session_id=session_id)
    assert {
        "video.room.session.started",
        "video.room.participant.joined",
        "video.room.participant.left",
    } <= set(stored.values_list("event_type", flat=True))
    assert set(stored.values_list("accepted_by", flat=True)) == {"signature"}

    def applied() -> bool:
        state = session_state(session_id)
        return (
            state is not None
            and [p.participant_id for p in state.present] == [alice["id"]]
            and not stored.filter(applied_at__isnull=True).exists()
        )

    assert wait_for(applied, timeout=20), "".join(celery_worker.output[-30:])
    bob_row = LiveParticipant.objects.get(participant_id=bob["id"])
    assert bob_row.context == "bob" and bob_row.left_reason == "left"
    assert set(stored.values_list("attempts", flat=True)) == {1}


#: 600 people in 10 sessions: 600 joins, and 400 of them leave: a burst of 1,000 events.
PEOPLE = 600


def test_burst_of_events_none_lost_none_applied_twice(live_server, settings, celery_worker):
    key = SigningKey.generate()
    settings.TELNYX_WEBHOOK_PUBLIC_KEY = base64.b64encode(bytes(key.verify_key)).decode()
    rng = random.Random(7)
    start = datetime.now(UTC) - timedelta(minutes=30)
    bodies: list[bytes] = []
    expected_present: dict[str, bool] = {}
    for n in range(PEOPLE):
        session = f"burst-s{n % 10}"
        pid = f"burst-p{n}"
        joined_at = start + timedelta(seconds=rng.randint(0, 600))
        args = {"room_id": "burst-room", "session_id": session, "participant_id": pid, "context": pid}
        bodies.append(event("video.room.participant.joined", at=joined_at, **args))
        if n % 3:  # two in three leave; the rest stay
            left_at = joined_at + timedelta(seconds=rng.randint(1, 600))
            bodies.append(event("video.room.participant.left", at=left_at, left_reason="left", **args))
        expected_present[pid] = n % 3 == 0
    unique = len(bodies)
    assert unique == 1000
    deliveries = bodies + rng.sample(bodies, 100)  # redeliveries of events already sent
    rng.shuffle(deliveries)

    def post(body: bytes) -> tuple[int, float]:
        request = urllib.request.Request(
            live_server.url + RECEIVER,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", **signed_headers(key, body)},
        )
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=20) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        return status, time.monotonic() - started

    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(post, deliveries))
    receive_secs = time.monotonic() - began
    assert {status for status, _ in results} == {200}
    assert WebhookEvent.objects.count() == unique

    events = WebhookEvent.objects.all()
    assert wait_for(lambda: not events.filter(applied_at__isnull=True).exists(), timeout=90), "".join(
        celery_worker.output[-30:]
    )
    applied_secs = time.monotonic() - began
    assert set(events.values_list("attempts", flat=True)) == {1}
    assert not events.exclude(apply_error="").exists()
    present = {
        p.participant_id: p.present
        for p in LiveParticipant.objects.filter(participant_id__startswith="burst")
    }
    assert present == expected_present
    assert len(session_state("burst-s0").present) == sum(
        1 for n in range(0, PEOPLE, 10) if expected_present[f"burst-p{n}"]
    )

    latencies = sorted(secs for _, secs in results)
    p50, p95 = statistics.median(latencies) * 1000, latencies[int(len(latencies) * 0.95)] * 1000
    print(
        f"\nburst: {len(deliveries)} posts ({unique} unique) in {receive_secs:.2f} s; receiver latency "
        f"p50 {p50:.0f} ms, p95 {p95:.0f} ms; all applied {applied_secs:.2f} s after the first post"
    )
