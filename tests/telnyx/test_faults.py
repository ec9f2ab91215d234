"""Retries, the no-duplicate rule for creates, and keeping the API key out of errors and logs.

The sandbox injects the faults (429 with Retry-After, 5xx, and timeouts: it processes the request and
then holds the answer longer than the client waits), and counts what it received.
"""

from __future__ import annotations

import logging
import socket
import time
import traceback
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from dashboard.telnyx import (
    NotFoundError,
    NotRetriedError,
    RateLimitedError,
    ServerError,
    TelnyxClient,
    TelnyxConnectionError,
    TelnyxError,
    TelnyxTimeout,
    ValidationError,
)

MakeClient = Callable[..., TelnyxClient]


def _requests(sandbox: Any, operation: str) -> dict[int, int]:
    return sandbox.request_counts().get(operation, {})


@pytest.mark.slow
def test_full_recording_list_under_30_percent_faults_returns_each_record_once(
    make_client: MakeClient, sandbox: Any
) -> None:
    seeded = sandbox.seed(rooms=10, sessions_per_room=10, participants_per_session=10, recording_bytes=2000)
    assert seeded["recordings"] == 2000
    # 10% timeouts, then 22.5% of the rest 429/500/503: 30% of requests fail.
    sandbox.set_faults(
        rate=0.225, statuses=[429, 500, 503], retry_after=1, timeout_rate=0.1, timeout_secs=1.5, seed=20260131
    )
    sandbox.clear_request_counts()
    client = make_client(read_timeout=0.4, max_retries=8, retry_max_wait=0.02)

    recordings = list(client.iter_recordings(page_size=100))

    assert len(recordings) == 2000
    assert len({r.id for r in recordings}) == 2000
    counts = _requests(sandbox, "GET /room_recordings")
    injected = sum(n for status, n in counts.items() if status != 200)
    answered = counts.get(200, 0)
    assert injected > 0, counts
    assert {429, 500, 503} & set(counts)
    assert answered > 20, "some pages were processed, timed out and asked for again"


def test_room_create_that_times_out_is_not_retried_and_makes_one_room(
    make_client: MakeClient, sandbox: Any
) -> None:
    client = make_client(read_timeout=0.3, max_retries=5)
    sandbox.set_faults(timeout_rate=1.0, timeout_secs=1.0)
    name = f"once-{uuid.uuid4().hex[:8]}"

    with pytest.raises(NotRetriedError) as caught:
        client.create_room(unique_name=name)

    error = caught.value
    assert error.reason == "timeout" and not error.retryable
    assert not isinstance(error, TelnyxTimeout)  # generic "retry temporary errors" code must not repeat it
    assert error.message == (
        "Telnyx did not answer in time; the room may or may not have been created — "
        "check the rooms list before trying again."
    )
    sandbox.clear_faults()
    assert _requests(sandbox, "POST /rooms") == {201: 1}
    assert [r.unique_name for r in client.iter_rooms(unique_name=name)] == [name]


def test_room_creates_under_mixed_faults_never_make_two_rooms(make_client: MakeClient, sandbox: Any) -> None:
    client = make_client(read_timeout=0.3, max_retries=4)
    sandbox.set_faults(
        rate=0.4, statuses=[429, 500, 503], retry_after=0, timeout_rate=0.3, timeout_secs=0.8, seed=11
    )
    names = [f"mixed-{i}-{uuid.uuid4().hex[:6]}" for i in range(12)]
    outcomes: dict[str, str] = {}
    for name in names:
        try:
            client.create_room(unique_name=name)
            outcomes[name] = "created"
        except NotRetriedError as exc:
            outcomes[name] = exc.reason
        except RateLimitedError:
            outcomes[name] = "rate_limited"
    sandbox.clear_faults()

    made = {name: sum(1 for r in client.iter_rooms(unique_name=name)) for name in names}
    assert all(n <= 1 for n in made.values()), made
    assert all(made[name] == 1 for name, outcome in outcomes.items() if outcome in ("created", "timeout"))
    assert sum(made.values()) == _requests(sandbox, "POST /rooms").get(201, 0)
    assert {"created", "timeout"} <= set(outcomes.values()), outcomes


def test_room_create_answered_with_5xx_is_not_retried(make_client: MakeClient, sandbox: Any) -> None:
    client = make_client(max_retries=3)
    sandbox.set_faults(rate=1.0, statuses=[503])
    with pytest.raises(NotRetriedError) as caught:
        client.create_room(unique_name="five-oh-three")
    assert caught.value.reason == "server_error" and caught.value.status == 503
    assert "may or may not have been created" in caught.value.message
    assert _requests(sandbox, "POST /rooms") == {503: 1}


def test_room_create_rate_limited_is_retried_then_reported(make_client: MakeClient, sandbox: Any) -> None:
    client = make_client(max_retries=2)
    sandbox.set_faults(rate=1.0, statuses=[429], retry_after=0)
    with pytest.raises(RateLimitedError) as caught:
        client.create_room(unique_name="limited")
    assert caught.value.status == 429 and caught.value.retryable
    assert _requests(sandbox, "POST /rooms") == {429: 3}
    sandbox.clear_faults()
    assert not client.list_rooms(unique_name="limited").items


def test_composition_create_that_times_out_is_not_retried(make_client: MakeClient, sandbox: Any) -> None:
    sandbox.seed(rooms=1, sessions_per_room=1, participants_per_session=1, recording_bytes=2000)
    client = make_client(read_timeout=0.3, max_retries=5)
    session = client.list_sessions().items[0]
    sandbox.set_faults(timeout_rate=1.0, timeout_secs=1.0)
    with pytest.raises(NotRetriedError, match="composition may or may not have been created"):
        client.create_composition(session_id=session.id)
    sandbox.clear_faults()
    assert _requests(sandbox, "POST /room_compositions") == {202: 1}
    assert len(client.list_compositions(session_id=session.id).items) == 1


def test_join_token_after_a_timeout_is_not_retried(make_client: MakeClient, sandbox: Any) -> None:
    client = make_client(read_timeout=0.3, max_retries=5)
    room = client.create_room(unique_name="tokens")
    sandbox.set_faults(timeout_rate=1.0, timeout_secs=1.0)
    with pytest.raises(NotRetriedError, match="join token"):
        client.generate_join_token(room.id)
    assert sum(_requests(sandbox, "POST /rooms/{room_id}/actions/generate_join_client_token").values()) == 1


def test_reads_and_session_actions_are_retried_through_faults(make_client: MakeClient, sandbox: Any) -> None:
    client = make_client(read_timeout=0.3, max_retries=10, retry_max_wait=0.01)
    room = client.create_room(unique_name="steady")
    person = sandbox.join(room.id, "Alice")
    session_id = client.get_room(room.id).active_session_id
    sandbox.set_faults(rate=0.5, statuses=[500, 502, 503, 504], timeout_rate=0.2, timeout_secs=0.8, seed=5)
    sandbox.clear_request_counts()
    for _ in range(5):
        assert client.get_room(room.id).id == room.id
    assert client.mute_participants(session_id, [person["id"]]) == "ok"
    assert client.update_room(room.id, max_participants=9).max_participants == 9
    sandbox.clear_faults()
    assert sandbox.participant(person["id"])["audio_muted"]
    gets = _requests(sandbox, "GET /rooms/{room_id}")
    assert sum(gets.values()) > 5, gets  # some attempts failed and were repeated


def test_retry_after_is_honoured(make_client: MakeClient, sandbox: Any) -> None:
    client = make_client(max_retries=2, retry_max_wait=5)
    sandbox.set_faults(rate=1.0, statuses=[429], retry_after=0.3)
    started = time.monotonic()
    with pytest.raises(RateLimitedError) as caught:
        client.list_rooms()
    elapsed = time.monotonic() - started
    assert caught.value.retry_after == pytest.approx(0.3)
    assert 0.6 <= elapsed < 2.0
    assert caught.value.message == "Telnyx is rate limiting requests; try again in 1 second."


def test_retry_after_is_capped_by_retry_max_wait(make_client: MakeClient, sandbox: Any) -> None:
    client = make_client(max_retries=2, retry_max_wait=0.05)
    sandbox.set_faults(rate=1.0, statuses=[429], retry_after=30)
    started = time.monotonic()
    with pytest.raises(RateLimitedError) as caught:
        client.list_rooms()
    assert time.monotonic() - started < 1.0
    assert caught.value.retry_after == 30
    assert _requests(sandbox, "GET /rooms") == {429: 3}


def test_server_errors_on_reads_are_retried_a_bounded_number_of_times(
    make_client: MakeClient, sandbox: Any
) -> None:
    client = make_client(max_retries=3)
    sandbox.set_faults(rate=1.0, statuses=[500])
    with pytest.raises(ServerError) as caught:
        client.list_recordings()
    assert caught.value.status == 500 and "server error (500)" in caught.value.message
    assert _requests(sandbox, "GET /room_recordings") == {500: 4}


def test_read_timeouts_end_in_a_timeout_error(make_client: MakeClient, sandbox: Any) -> None:
    client = make_client(read_timeout=0.2, max_retries=1)
    sandbox.set_faults(timeout_rate=1.0, timeout_secs=0.6)
    with pytest.raises(TelnyxTimeout) as caught:
        client.list_rooms()
    assert caught.value.request_sent and "did not answer within 0.2 seconds" in caught.value.message
    assert sum(_requests(sandbox, "GET /rooms").values()) == 2


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_refused_connections_are_retried_even_for_creates(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_client(base_url=f"http://127.0.0.1:{_closed_port()}/v2", max_retries=2)
    with (
        caplog.at_level(logging.INFO, logger="dashboard.telnyx"),
        pytest.raises(TelnyxConnectionError) as caught,
    ):
        client.create_room(unique_name="nowhere")
    assert not caught.value.request_sent
    assert not isinstance(caught.value, NotRetriedError)
    assert "Could not connect to Telnyx at 127.0.0.1" in caught.value.message
    attempts = [r for r in caplog.records if "ConnectError" in r.getMessage()]
    assert len(attempts) == 3


def test_the_api_key_is_in_no_error_and_no_log_line(
    make_client: MakeClient, sandbox: Any, caplog: pytest.LogCaptureFixture
) -> None:
    key = sandbox.api_key
    client = make_client(read_timeout=0.2, max_retries=1, retry_max_wait=0.01)
    errors: list[TelnyxError] = []

    def collect(call: Callable[[], object]) -> None:
        try:
            call()
        except TelnyxError as exc:
            errors.append(exc)

    with caplog.at_level(logging.DEBUG):
        client.create_room(unique_name="ok")
        collect(lambda: client.get_room(str(uuid.uuid4())))
        collect(lambda: client.create_room(max_participants=99))
        sandbox.set_faults(rate=1.0, statuses=[429])
        collect(lambda: client.list_rooms())
        sandbox.set_faults(rate=1.0, statuses=[500])
        collect(lambda: client.list_rooms())
        collect(lambda: client.create_room(unique_name="x"))
        sandbox.set_faults(timeout_rate=1.0, timeout_secs=0.5)
        collect(lambda: client.list_rooms())
        collect(lambda: client.create_room(unique_name="y"))
        sandbox.clear_faults()
        wrong = make_client(api_key=key + "-wrong")
        collect(lambda: wrong.list_rooms())

    kinds = {type(e) for e in errors}
    assert {
        NotFoundError,
        ValidationError,
        RateLimitedError,
        ServerError,
        TelnyxTimeout,
        NotRetriedError,
    } <= kinds
    assert len(errors) == 8
    for error in errors:
        assert key not in str(error) and key not in repr(error) and key not in error.message
        assert key not in "".join(traceback.format_exception(error))
    assert key not in caplog.text
    assert key not in repr(client)
    assert "telnyx GET /rooms/{room_id} -> 404 (attempt 1" in caplog.text
