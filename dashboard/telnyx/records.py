"""Typed records for what the Telnyx Video API returns.

Every field of the OpenAPI schema is an attribute; a field the API left out is ``None``; fields the
API sends that this version does not know are kept in ``extra`` rather than rejected, so a new field
upstream never breaks the dashboard. Timestamps are parsed into timezone-aware ``datetime`` (UTC when
the API gives no offset); a timestamp that cannot be parsed becomes ``None`` and its raw text is kept
in ``extra``.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, Generic, TypeVar

__all__ = [
    "ClientToken",
    "Page",
    "PageMeta",
    "Room",
    "RoomComposition",
    "RoomParticipant",
    "RoomRecording",
    "RoomSession",
    "parse_datetime",
]

logger = logging.getLogger("dashboard.telnyx")

T = TypeVar("T")
R = TypeVar("R", bound="_Record")


def parse_datetime(value: Any) -> datetime | None:
    """An ISO 8601 timestamp as an aware datetime (UTC if it has no offset); None if absent or invalid."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
    else:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


@dataclass(slots=True)
class _Record:
    """Common parsing: known fields by name, datetimes parsed, the rest kept in ``extra``."""

    _datetime_fields: ClassVar[frozenset[str]] = frozenset()
    _float_fields: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def from_api(cls: type[R], data: Mapping[str, Any]) -> R:
        if not isinstance(data, Mapping):
            raise TypeError(f"{cls.__name__}.from_api expects a JSON object, got {type(data).__name__}")
        known = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        kwargs: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for key, value in data.items():
            if key not in known:
                extra[key] = value
                continue
            if key in cls._datetime_fields:
                parsed = parse_datetime(value)
                if parsed is None and value not in (None, ""):
                    logger.warning("Telnyx %s.%s is not a timestamp: %r", cls.__name__, key, value)
                    extra[key] = value
                value = parsed
            elif key in cls._float_fields and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            kwargs[key] = value
        kwargs.update(cls._nested(data))
        kwargs["extra"] = extra
        return cls(**kwargs)

    @classmethod
    def _nested(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        return {}


_COMMON_TIMES = frozenset({"created_at", "updated_at"})


@dataclass(slots=True)
class RoomParticipant(_Record):
    """A participant of a room session (``/room_participants``). Carries no mute state: the API has none."""

    id: str
    session_id: str | None = None
    context: str | None = None
    joined_at: datetime | None = None
    left_at: datetime | None = None
    updated_at: datetime | None = None
    record_type: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    _datetime_fields: ClassVar[frozenset[str]] = frozenset({"joined_at", "left_at", "updated_at"})


@dataclass(slots=True)
class RoomSession(_Record):
    """A session of a room; ``participants`` is a list only when asked for (``include_participants``)."""

    id: str
    room_id: str | None = None
    active: bool | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    ended_at: datetime | None = None
    record_type: str | None = None
    participants: list[RoomParticipant] | None = None
    extra: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    _datetime_fields: ClassVar[frozenset[str]] = _COMMON_TIMES | {"ended_at"}

    @classmethod
    def _nested(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        participants = data.get("participants")
        if participants is None:
            return {}
        return {"participants": [RoomParticipant.from_api(p) for p in participants]}


@dataclass(slots=True)
class Room(_Record):
    """A video room; ``sessions`` is a list only when asked for (``include_sessions``)."""

    id: str
    unique_name: str | None = None
    max_participants: int | None = None
    enable_recording: bool | None = None
    webhook_event_url: str | None = None
    webhook_event_failover_url: str | None = None
    webhook_timeout_secs: int | None = None
    active_session_id: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    record_type: str | None = None
    sessions: list[RoomSession] | None = None
    extra: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    _datetime_fields: ClassVar[frozenset[str]] = _COMMON_TIMES

    @classmethod
    def _nested(cls, data: Mapping[str, Any]) -> dict[str, Any]:
        sessions = data.get("sessions")
        if sessions is None:
            return {}
        return {"sessions": [RoomSession.from_api(s) for s in sessions]}


@dataclass(slots=True)
class RoomRecording(_Record):
    """One participant's audio or video track of a session. ``download_url`` expires: see the client."""

    id: str
    room_id: str | None = None
    session_id: str | None = None
    participant_id: str | None = None
    type: str | None = None  # audio | video
    status: str | None = None  # processing | completed
    codec: str | None = None
    size_mb: float | None = None
    duration_secs: int | None = None
    download_url: str | None = field(default=None, repr=False)
    started_at: datetime | None = None
    ended_at: datetime | None = None
    completed_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    record_type: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    _datetime_fields: ClassVar[frozenset[str]] = _COMMON_TIMES | {"started_at", "ended_at", "completed_at"}
    _float_fields: ClassVar[frozenset[str]] = frozenset({"size_mb"})


@dataclass(slots=True)
class RoomComposition(_Record):
    """A composed video of a session: ``status`` goes enqueued → processing → completed."""

    id: str
    room_id: str | None = None
    session_id: str | None = None
    user_id: str | None = None
    status: str | None = None
    format: str | None = None
    resolution: str | None = None
    size_mb: float | None = None
    duration_secs: int | None = None
    download_url: str | None = field(default=None, repr=False)
    video_layout: dict[str, Any] | None = None
    webhook_event_url: str | None = None
    webhook_event_failover_url: str | None = None
    webhook_timeout_secs: int | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    completed_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    record_type: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    _datetime_fields: ClassVar[frozenset[str]] = _COMMON_TIMES | {"started_at", "ended_at", "completed_at"}
    _float_fields: ClassVar[frozenset[str]] = frozenset({"size_mb"})


@dataclass(slots=True)
class ClientToken(_Record):
    """A join token for a room. A refreshed token has no refresh token of its own (those fields are None).

    The token strings are credentials for the room, so they are left out of ``repr``.
    """

    token: str = field(repr=False)
    token_expires_at: datetime | None = None
    refresh_token: str | None = field(default=None, repr=False)
    refresh_token_expires_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    _datetime_fields: ClassVar[frozenset[str]] = frozenset({"token_expires_at", "refresh_token_expires_at"})


@dataclass(slots=True, frozen=True)
class PageMeta:
    """Telnyx's ``meta`` of a list answer."""

    page_number: int
    page_size: int
    total_pages: int
    total_results: int

    @property
    def has_next(self) -> bool:
        return self.page_number < self.total_pages

    @property
    def has_previous(self) -> bool:
        return self.page_number > 1

    @classmethod
    def from_api(cls, meta: Any, *, page: int, page_size: int, count: int) -> PageMeta:
        """Build from ``meta``; a missing or partial meta is filled in from what was asked and got."""
        meta = meta if isinstance(meta, Mapping) else {}

        def number(key: str, default: int) -> int:
            value = meta.get(key)
            return value if isinstance(value, int) and not isinstance(value, bool) else default

        total_results = number("total_results", (page - 1) * page_size + count)
        size = number("page_size", page_size)
        return cls(
            page_number=number("page_number", page),
            page_size=size,
            total_pages=number("total_pages", max(1, -(-total_results // max(size, 1)))),
            total_results=total_results,
        )


@dataclass(slots=True)
class Page(Generic[T]):
    """One page of a list: ``items`` and Telnyx's ``meta`` (for the dashboard's own paging)."""

    items: list[T]
    meta: PageMeta

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)
