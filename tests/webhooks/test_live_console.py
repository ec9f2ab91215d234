"""The live console on events: real sandbox deliveries into the running dashboard, a real worker.

Telnyx calls are counted at the sandbox: a join reaches an open console with none, and however many
consoles poll within the reconcile period, the session is asked about once.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse

from dashboard.telnyx import get_client
from recordings.models import Composition, Recording
from recordings.services.sync import upsert_compositions
from tests.fixtures.celery_worker import wait_for
from webhooks.live import session_state
from webhooks.models import WebhookEvent

from .conftest import RECEIVER

pytestmark = pytest.mark.django_db(transaction=True)

TABLE = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "participant-table"}
SESSION_READS = "GET /room_sessions/{room_session_id}"


def telnyx_reads(sandbox) -> int:  # type: ignore[no-untyped-def]
    """Every API read the dashboard made (the test's own joins go through the control API)."""
    return sum(n for op, by in sandbox.request_counts().items() if op.startswith("GET ") for n in by.values())


@pytest.fixture
def hooked_room(live_server, telnyx_sandbox, settings):  # type: ignore[no-untyped-def]
    settings.LIVE_RECONCILE_SECS = 120  # nothing in these tests is due for a reconcile
    return get_client().create_room(unique_name="hooked", webhook_event_url=live_server.url + RECEIVER)


def applied(session_id: str, *contexts: str) -> bool:
    state = session_state(session_id)
    return state is not None and {p.context for p in state.present} >= set(contexts)


def table(client, session_id: str):  # type: ignore[no-untyped-def]
    return client.get(reverse("sessions:detail", args=[session_id]), **TABLE)


def test_a_join_reaches_the_console_without_a_telnyx_call(
    moderator_client, hooked_room, telnyx_sandbox, celery_worker
):
    alice = telnyx_sandbox.join(hooked_room.id, "alice")
    session_id = alice["session_id"]
    assert wait_for(lambda: applied(session_id, "alice"), timeout=20), "".join(celery_worker.output[-20:])
    first = table(moderator_client, session_id).content.decode()
    assert "Live from Telnyx events" in first and "alice" in first
    telnyx_sandbox.clear_request_counts()
    telnyx_sandbox.join(hooked_room.id, "bob")
    assert wait_for(lambda: "bob" in table(moderator_client, session_id).content.decode(), timeout=20)
    assert telnyx_reads(telnyx_sandbox) == 0, telnyx_sandbox.request_counts()


def test_twenty_console_polls_cost_what_one_does(
    moderator_client, hooked_room, telnyx_sandbox, celery_worker
):
    alice = telnyx_sandbox.join(hooked_room.id, "alice")
    session_id = alice["session_id"]
    assert wait_for(lambda: applied(session_id, "alice"), timeout=20)
    telnyx_sandbox.clear_request_counts()
    table(moderator_client, session_id)
    one = telnyx_sandbox.request_count(SESSION_READS)
    for _ in range(19):
        assert table(moderator_client, session_id).status_code in (200, 204)
    assert one == 1 and telnyx_sandbox.request_count(SESSION_READS) == one


def test_unchanged_console_poll_answers_204_and_a_change_renders(
    moderator_client, hooked_room, telnyx_sandbox, celery_worker
):
    alice = telnyx_sandbox.join(hooked_room.id, "alice")
    session_id = alice["session_id"]
    assert wait_for(lambda: applied(session_id, "alice"), timeout=20)
    body = table(moderator_client, session_id).content.decode()
    version = body.split("?v=")[1].split('"')[0]
    url = reverse("sessions:detail", args=[session_id]) + "?v=" + version
    assert moderator_client.get(url, **TABLE).status_code == 204
    telnyx_sandbox.join(hooked_room.id, "bob")
    assert wait_for(lambda: moderator_client.get(url, **TABLE).status_code == 200, timeout=20)


def test_without_events_the_console_polls_and_says_so(moderator_client, telnyx_sandbox, settings):
    settings.TELNYX_WEBHOOK_PUBLIC_KEY = ""
    room = get_client().create_room(unique_name="unhooked")
    session_id = telnyx_sandbox.join(room.id, "alice")["session_id"]
    body = table(moderator_client, session_id).content.decode()
    assert "Polling Telnyx every" in body and "Live from Telnyx events" not in body and "alice" in body
    telnyx_sandbox.join(room.id, "bob")
    cache.clear()  # the polling period passed
    assert "bob" in table(moderator_client, session_id).content.decode()
    assert telnyx_sandbox.request_count(SESSION_READS) == 2


def test_session_end_turns_live_to_ended_in_the_polled_table(
    moderator_client, hooked_room, telnyx_sandbox, celery_worker
):
    alice = telnyx_sandbox.join(hooked_room.id, "alice")
    session_id = alice["session_id"]
    assert wait_for(lambda: applied(session_id, "alice"), timeout=20)
    assert table(moderator_client, session_id).status_code == 200
    telnyx_sandbox.clear_request_counts()
    telnyx_sandbox.leave(alice["id"])
    assert wait_for(lambda: table(moderator_client, session_id).status_code == 286, timeout=20)
    body = table(moderator_client, session_id).content.decode()
    assert 'id="session-state" class="badge" hx-swap-oob="true">Ended' in body
    assert telnyx_sandbox.request_count(SESSION_READS) == 0


def test_rejoin_folds_into_one_row(moderator_client, hooked_room, telnyx_sandbox, celery_worker):
    first = telnyx_sandbox.join(hooked_room.id, "alice")
    telnyx_sandbox.join(hooked_room.id, "bob")  # keeps the session open while alice is away
    session_id = first["session_id"]
    telnyx_sandbox.leave(first["id"])
    again = telnyx_sandbox.join(hooked_room.id, "alice")
    assert again["id"] != first["id"]
    assert wait_for(lambda: applied(session_id, "alice", "bob"), timeout=20)
    body = table(moderator_client, session_id).content.decode()
    assert body.count('data-name="alice"') == 1 and "joined 2×" in body
    assert f'value="{again["id"]}"' in body and f'value="{first["id"]}"' not in body


def test_mute_all_leaves_out_those_who_had_left(moderator_client, hooked_room, telnyx_sandbox, celery_worker):
    alice = telnyx_sandbox.join(hooked_room.id, "alice")
    bob = telnyx_sandbox.join(hooked_room.id, "bob")
    session_id = alice["session_id"]
    telnyx_sandbox.leave(bob["id"])
    assert wait_for(lambda: LiveLeft.of(bob["id"]), timeout=20)
    moderator_client.post(
        reverse("sessions:mute", args=[session_id]), {"scope": "all"}, HTTP_HX_REQUEST="true"
    )
    telnyx_sandbox.leave(alice["id"])  # the session ends: nobody is present any more
    assert wait_for(lambda: table(moderator_client, session_id).status_code == 286, timeout=20)
    body = table(moderator_client, session_id).content.decode()
    alice_row = body.split('data-name="alice"')[1].split("</tr>")[0]
    bob_row = body.split('data-name="bob"')[1].split("</tr>")[0]
    assert "muted by mo-moderator at" in alice_row
    assert "unknown" in bob_row and "muted" not in bob_row


class LiveLeft:
    @staticmethod
    def of(participant_id: str) -> bool:
        from webhooks.models import LiveParticipant

        row = LiveParticipant.objects.filter(participant_id=participant_id).first()
        return row is not None and row.left_at is not None


def test_composition_completed_by_event_without_a_poll(live_server, telnyx_sandbox, celery_worker):
    telnyx_sandbox.seed(rooms=1, sessions_per_room=1, participants_per_session=1)
    client = get_client()
    session_id = client.list_sessions().items[0].id
    remote = client.create_composition(session_id=session_id, webhook_event_url=live_server.url + RECEIVER)
    upsert_compositions([remote])  # as creating it stores it (its poll is not queued here)
    telnyx_sandbox.clear_request_counts()
    telnyx_sandbox.complete_composition(remote.id)

    def completed() -> bool:
        return Composition.objects.filter(telnyx_id=remote.id, status="completed").exists()

    assert wait_for(completed, timeout=20), "".join(celery_worker.output[-20:])
    row = Composition.objects.get(telnyx_id=remote.id)
    assert row.is_final and row.download_url
    polls = [op for op in telnyx_sandbox.request_counts() if op.startswith("GET /room_compositions/")]
    assert polls == [], telnyx_sandbox.request_counts()


def test_recording_completed_event_upserts_it(hooked_room, telnyx_sandbox, celery_worker, settings):
    room = get_client().update_room(hooked_room.id, enable_recording=True)
    alice = telnyx_sandbox.join(room.id, "alice")
    telnyx_sandbox.leave(alice["id"])

    def recorded() -> bool:
        return Recording.objects.filter(session_id=alice["session_id"], status="completed").exists()

    assert wait_for(recorded, timeout=30), telnyx_sandbox.webhook_deliveries()
    assert WebhookEvent.objects.filter(event_type="video.room.recording.completed").exists()
    recording = Recording.objects.filter(session_id=alice["session_id"]).first()
    assert recording is not None and recording.download_url
