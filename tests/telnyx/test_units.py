"""The client's pure parts: filters, Retry-After, error sources, record parsing (no HTTP)."""

from __future__ import annotations

import email.utils
import pickle
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from dashboard.telnyx import filters as F
from dashboard.telnyx.errors import (
    NotRetriedError,
    RateLimitedError,
    ServerError,
    TelnyxError,
    TelnyxTimeout,
    ValidationError,
    field_from_source,
)
from dashboard.telnyx.records import ClientToken, PageMeta, Room, RoomRecording, RoomSession
from dashboard.telnyx.retrying import parse_retry_after, should_retry


def test_date_filters_become_deep_object_days():
    params = F.build_filter_params(
        F.RECORDING_FILTERS,
        {
            "date_started_at__gte": date(2026, 1, 31),
            "date_ended_at": "2026-02-01",
            "date_ended_at__lte": datetime(2026, 2, 2, 23, 30, tzinfo=timezone(timedelta(hours=-5))),
            "room_id": "r1",
            "duration_secs": 20,
        },
        operation="list_recordings",
    )
    assert params == {
        "filter[date_started_at][gte]": "2026-01-31",
        "filter[date_ended_at][eq]": "2026-02-01",
        # 23:30 at UTC-5 is the next day in UTC.
        "filter[date_ended_at][lte]": "2026-02-03",
        "filter[room_id]": "r1",
        "filter[duration_secs]": "20",
    }


def test_boolean_filter_and_none_values():
    params = F.build_filter_params(F.SESSION_FILTERS, {"active": False, "room_id": None}, operation="x")
    assert params == {"filter[active]": "false"}


@pytest.mark.parametrize(
    ("filters", "fragment"),
    [
        ({"bogus": 1}, "unknown filter 'bogus'"),
        ({"room_id__gte": "x"}, "room_id takes no operator"),
        ({"date_started_at__gt": date(2026, 1, 1)}, "eq, gte or lte"),
        ({"date_started_at": "31/01/2026"}, "takes a date"),
        ({"duration_secs": "20"}, "takes an integer"),
    ],
)
def test_bad_filters_are_type_errors(filters, fragment):
    with pytest.raises(TypeError, match=fragment):
        F.build_filter_params(F.RECORDING_FILTERS, filters, operation="list_recordings")


def test_each_operation_accepts_exactly_the_spec_filter_names():
    assert set(F.ROOM_FILTERS) == {"date_created_at", "date_updated_at", "unique_name"}
    assert set(F.SESSION_FILTERS) - set(F.ROOM_SESSION_FILTERS) == {"room_id"}
    assert set(F.PARTICIPANT_FILTERS) - set(F.SESSION_PARTICIPANT_FILTERS) == {"session_id"}
    assert set(F.COMPOSITION_FILTERS) == {"date_created_at", "session_id", "status"}
    assert "duration_secs" in F.RECORDING_FILTERS


def test_retry_after_forms():
    assert parse_retry_after({"retry-after": "3"}) == 3.0
    assert parse_retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    http_date = email.utils.format_datetime(now + timedelta(seconds=7), usegmt=True)
    assert parse_retry_after({"retry-after": http_date}, now=now.timestamp()) == pytest.approx(7)
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({}) is None
    assert parse_retry_after({"x-ratelimit-reset": "2"}) == 2.0


def test_retry_rules_for_creates_are_conservative():
    sent = TelnyxTimeout("t", request_sent=True)
    unsent = TelnyxTimeout("t", request_sent=False)
    assert should_retry(sent, idempotent=True)
    assert not should_retry(sent, idempotent=False)
    assert should_retry(unsent, idempotent=False)
    assert should_retry(RateLimitedError("r"), idempotent=False)
    assert not should_retry(ServerError("s", status=500), idempotent=False)
    assert should_retry(ServerError("s", status=503), idempotent=True)
    assert not should_retry(NotRetriedError("n", reason="timeout"), idempotent=True)


@pytest.mark.parametrize(
    ("source", "field"),
    [
        ({"pointer": "/max_participants"}, "max_participants"),
        ({"pointer": "/video_layout/first/x_pos"}, "video_layout.first.x_pos"),
        ({"pointer": "/a~1b/c~0d"}, "a/b.c~d"),
        ({"pointer": "/"}, None),
        ({"parameter": "filter[room_id]"}, "filter[room_id]"),
        (None, None),
    ],
)
def test_error_source_to_field(source, field):
    assert field_from_source(source) == field


def test_records_parse_datetimes_keep_extras_and_default_missing():
    room = Room.from_api(
        {
            "id": "r",
            "created_at": "2021-03-26T17:51:59.588408Z",
            "updated_at": "2021-03-26T17:51:59",
            "brand_new_field": {"x": 1},
            "sessions": [{"id": "s", "participants": [{"id": "p", "joined_at": "2021-03-26T17:52:00Z"}]}],
        }
    )
    assert room.created_at == datetime(2021, 3, 26, 17, 51, 59, 588408, tzinfo=UTC)
    assert room.updated_at is not None and room.updated_at.tzinfo is not None
    assert room.max_participants is None
    assert room.extra == {"brand_new_field": {"x": 1}}
    assert isinstance(room.sessions[0], RoomSession)
    assert room.sessions[0].participants[0].joined_at.tzinfo is not None
    assert Room.from_api({"id": "r"}).sessions is None

    bad = RoomRecording.from_api({"id": "x", "started_at": "yesterday", "size_mb": 3})
    assert bad.started_at is None and bad.extra == {"started_at": "yesterday"}
    assert bad.size_mb == 3.0 and isinstance(bad.size_mb, float)


def test_token_repr_hides_the_token():
    token = ClientToken.from_api({"token": "secret-jwt", "refresh_token": "secret-refresh"})
    assert "secret" not in repr(token)


def test_page_meta_fills_gaps():
    meta = PageMeta.from_api(None, page=2, page_size=10, count=3)
    assert (meta.page_number, meta.total_results, meta.total_pages) == (2, 13, 2)
    assert not meta.has_next and meta.has_previous


def test_errors_survive_pickling_and_rebuilding_from_their_message():
    original = ValidationError("Telnyx rejected the room.", field_errors=[("max_participants", "too big")])
    copy = pickle.loads(pickle.dumps(original))  # noqa: S301 - our own bytes
    assert type(copy) is ValidationError
    assert (copy.message, copy.status, copy.field_errors) == (
        original.message,
        422,
        [("max_participants", "too big")],
    )
    retried = pickle.loads(pickle.dumps(NotRetriedError("m", reason="timeout")))  # noqa: S301
    assert retried.reason == "timeout" and not retried.retryable
    # Celery's JSON result backend rebuilds exceptions as cls(*args).
    for cls in (TelnyxError, NotRetriedError, RateLimitedError, ServerError, TelnyxTimeout, ValidationError):
        assert str(cls(*cls("a sentence.").args)) == "a sentence."
