"""``TelnyxClient``: the one module that speaks HTTP to the Telnyx Video Rooms API.

One pooled ``httpx.Client`` (keep-alive, explicit connect/read timeouts, a product ``User-Agent``)
serves every call. Vendor quirks stay in here: the ``{"data": ...}`` envelope, deepObject filters and
paging, the error bodies, retries (see ``dashboard.telnyx.retrying``) and expiring download links.

API calls honour the budget of the work they serve (``dashboard.telnyx.deadline``): inside
``deadline(seconds)`` each attempt's timeouts are capped by the time left and running out raises
``TelnyxTimeout``; without one, the client's own timeouts and retries apply.

Every public method takes keyword arguments (ids may be positional) and returns typed records from
``dashboard.telnyx.records`` or raises an error from ``dashboard.telnyx.errors``. The API key is sent
only as ``Authorization: Bearer`` to the API origin; it is never logged, never part of an error, and
never sent to a storage host of another origin.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any, Literal, TypeVar
from urllib.parse import quote

import httpx

from dashboard.telnyx import filters as F
from dashboard.telnyx.breaker import CircuitBreaker
from dashboard.telnyx.bulkhead import Bulkhead
from dashboard.telnyx.deadline import Budget, current_budget
from dashboard.telnyx.downloads import DownloadStream
from dashboard.telnyx.errors import (
    AuthenticationError,
    BadRequestError,
    DownloadGoneError,
    DownloadUnavailableError,
    NotFoundError,
    NotRetriedError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    TelnyxConnectionError,
    TelnyxError,
    TelnyxTimeout,
    UnexpectedResponseError,
    ValidationError,
    field_from_source,
)
from dashboard.telnyx.records import (
    ClientToken,
    Page,
    PageMeta,
    Room,
    RoomComposition,
    RoomParticipant,
    RoomRecording,
    RoomSession,
)
from dashboard.telnyx.retrying import RetryPolicy, parse_retry_after

__all__ = ["DEFAULT_BASE_URL", "MAX_PAGE_SIZE", "UNSET", "TelnyxClient"]

logger = logging.getLogger("dashboard.telnyx")

DEFAULT_BASE_URL = "https://api.telnyx.com/v2"
MAX_PAGE_SIZE = 250
DEFAULT_PAGE_SIZE = 20

T = TypeVar("T")
RecordT = TypeVar("RecordT", Room, RoomSession, RoomParticipant, RoomRecording, RoomComposition)


class _Unset:
    """Marks an argument that was not given (so ``None`` can mean "clear this field")."""

    _instance: _Unset | None = None

    def __new__(cls) -> _Unset:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET: Any = _Unset()

Participants = Literal["all"] | Sequence[str]

# Where to look before repeating a create whose outcome is unknown.
_CREATE_HINTS = {
    "room": "the room may or may not have been created — check the rooms list before trying again",
    "composition": (
        "the composition may or may not have been created — check the compositions list before trying again"
    ),
    "join token": "no join token was received and the request was not repeated — try again",
}


def _product_version() -> str:
    try:
        from dashboard import __version__
    except ImportError:  # pragma: no cover - the dashboard package always defines it
        return "0"
    return str(__version__)


def _origin(url: httpx.URL | str) -> tuple[str, str, int | None]:
    parsed = httpx.URL(url)
    port = parsed.port or {"http": 80, "https": 443}.get(parsed.scheme)
    return (parsed.scheme, parsed.host, port)


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


class _BearerAuth(httpx.Auth):
    """Adds the bearer header per request; its repr (and so any traceback's locals) hides the key."""

    def __init__(self, api_key: str) -> None:
        self._header = f"Bearer {api_key}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request

    def __repr__(self) -> str:
        return "<BearerAuth [redacted]>"


class TelnyxClient:
    """A client for the Telnyx Video Rooms API (all 25 operations of the contract).

    Thread-safe: one instance is shared by the process (see ``dashboard.telnyx.get_client``).
    ``max_retries`` is the number of retries after the first attempt; ``retry_max_wait`` caps each
    wait, whether it came from ``Retry-After`` or from the backoff. See ``dashboard.telnyx.retrying``
    for which calls are retried on what (creates are not retried once Telnyx may have acted).
    With a ``breaker`` (``dashboard.telnyx.breaker``) API calls are refused at once while it is open;
    with a ``bulkhead`` (``dashboard.telnyx.bulkhead``) calls made under a request's budget are
    refused at once when too many requests of this process are already waiting on Telnyx.
    """

    def __init__(
        self,
        api_key: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        max_retries: int = 3,
        retry_max_wait: float = 30.0,
        initial_backoff: float = 0.5,
        user_agent: str | None = None,
        max_connections: int = 20,
        breaker: CircuitBreaker | None = None,
        bulkhead: Bulkhead | None = None,
    ) -> None:
        self._api_key = api_key or ""
        self._auth = _BearerAuth(self._api_key)
        self.base_url = str(base_url).rstrip("/")
        self._api_origin = _origin(self.base_url)
        self.connect_timeout = float(connect_timeout)
        self.read_timeout = float(read_timeout)
        self.max_retries = int(max_retries)
        self.retry_max_wait = float(retry_max_wait)
        self.user_agent = user_agent or f"telnyx-video-dashboard/{_product_version()}"
        self._retry = RetryPolicy(
            max_retries=self.max_retries, max_wait=self.retry_max_wait, initial_backoff=initial_backoff
        )
        self._http = httpx.Client(
            base_url=self.base_url + "/",
            timeout=httpx.Timeout(
                connect=self.connect_timeout,
                read=self.read_timeout,
                write=self.read_timeout,
                pool=self.connect_timeout,
            ),
            limits=httpx.Limits(
                max_connections=max_connections,
                max_keepalive_connections=max_connections,
                keepalive_expiry=30.0,
            ),
            headers={"User-Agent": self.user_agent, "Accept": "application/json"},
            follow_redirects=False,
        )
        self._closed = threading.Event()
        #: Shared with every process through the cache; None (tests, scripts) means no breaker.
        self.breaker = breaker
        #: Caps this process's requests waiting on Telnyx; applies only to calls under a budget.
        self.bulkhead = bulkhead

    # -- lifecycle -------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the connection pool. The client cannot be used afterwards."""
        self._closed.set()
        self._http.close()

    @property
    def is_closed(self) -> bool:
        return self._closed.is_set()

    def __enter__(self) -> TelnyxClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<TelnyxClient {self.base_url}>"

    # -- rooms -----------------------------------------------------------------------------------

    def list_rooms(
        self,
        *,
        page: int = 1,
        page_size: int = DEFAULT_PAGE_SIZE,
        include_sessions: bool = False,
        **filters: Any,
    ) -> Page[Room]:
        """One page of rooms.

        Filters: ``unique_name``, ``date_created_at``, ``date_updated_at`` (``__eq/__gte/__lte``).
        """
        return self._list(
            "/rooms",
            Room,
            F.ROOM_FILTERS,
            filters,
            page=page,
            page_size=page_size,
            operation="list_rooms",
            resource="room",
            extra_params=self._include("include_sessions", include_sessions),
        )

    def iter_rooms(
        self, *, page_size: int = MAX_PAGE_SIZE, include_sessions: bool = False, **filters: Any
    ) -> Iterator[Room]:
        """Every room matching the filters, walking all pages."""
        return self._iterate(
            lambda n: self.list_rooms(
                page=n, page_size=page_size, include_sessions=include_sessions, **filters
            )
        )

    def get_room(self, room_id: str, *, include_sessions: bool = False) -> Room:
        response = self._request(
            "GET",
            "/rooms/{room_id}",
            path={"room_id": room_id},
            params=self._include("include_sessions", include_sessions),
            resource="room",
        )
        return self._record(response, Room, sessions=include_sessions)

    def create_room(
        self,
        *,
        unique_name: str | None = None,
        max_participants: int | None = None,
        enable_recording: bool | None = None,
        webhook_event_url: str | None = None,
        webhook_event_failover_url: str | None = None,
        webhook_timeout_secs: int | None = None,
    ) -> Room:
        """Create a room (201). Arguments left ``None`` are not sent, so Telnyx's defaults apply.

        Not retried once the request may have reached Telnyx: a read timeout, a broken connection or
        a 5xx raise ``NotRetriedError`` (a second room is worse than an error). 429 and failures to
        connect are retried.
        """
        body = {
            key: value
            for key, value in {
                "unique_name": unique_name,
                "max_participants": max_participants,
                "enable_recording": enable_recording,
                "webhook_event_url": webhook_event_url,
                "webhook_event_failover_url": webhook_event_failover_url,
                "webhook_timeout_secs": webhook_timeout_secs,
            }.items()
            if value is not None
        }
        response = self._request("POST", "/rooms", json=body, idempotent=False, resource="room")
        return self._record(response, Room)

    def update_room(
        self,
        room_id: str,
        *,
        unique_name: str | None = UNSET,
        max_participants: int | None = UNSET,
        enable_recording: bool | None = UNSET,
        webhook_event_url: str | None = UNSET,
        webhook_event_failover_url: str | None = UNSET,
        webhook_timeout_secs: int | None = UNSET,
    ) -> Room:
        """PATCH a room: only the arguments given are sent (``None`` is sent as null, to clear). Retried."""
        body = {
            key: value
            for key, value in {
                "unique_name": unique_name,
                "max_participants": max_participants,
                "enable_recording": enable_recording,
                "webhook_event_url": webhook_event_url,
                "webhook_event_failover_url": webhook_event_failover_url,
                "webhook_timeout_secs": webhook_timeout_secs,
            }.items()
            if value is not UNSET
        }
        response = self._request(
            "PATCH", "/rooms/{room_id}", path={"room_id": room_id}, json=body, resource="room"
        )
        return self._record(response, Room)

    def delete_room(self, room_id: str) -> None:
        """Delete a room (204); Telnyx kicks its participants. Retried (a repeat answers 404, ignored)."""
        self._delete("/rooms/{room_id}", {"room_id": room_id}, resource="room")

    # -- join tokens -----------------------------------------------------------------------------

    def generate_join_token(
        self,
        room_id: str,
        *,
        token_ttl_secs: int | None = None,
        refresh_token_ttl_secs: int | None = None,
    ) -> ClientToken:
        """A join token and a refresh token for a room (``token_ttl_secs`` 10–3600, refresh 60–86400).

        Not retried once the request may have reached Telnyx (``NotRetriedError``).
        """
        body = {
            key: value
            for key, value in {
                "token_ttl_secs": token_ttl_secs,
                "refresh_token_ttl_secs": refresh_token_ttl_secs,
            }.items()
            if value is not None
        }
        response = self._request(
            "POST",
            "/rooms/{room_id}/actions/generate_join_client_token",
            path={"room_id": room_id},
            json=body,
            idempotent=False,
            resource="join token",
        )
        return self._record(response, ClientToken)

    def refresh_join_token(
        self, room_id: str, *, refresh_token: str, token_ttl_secs: int | None = None
    ) -> ClientToken:
        """A fresh join token from a refresh token; the result's ``refresh_token`` fields are None."""
        if not refresh_token:
            raise ValueError("refresh_join_token() needs a refresh_token")
        body: dict[str, Any] = {"refresh_token": refresh_token}
        if token_ttl_secs is not None:
            body["token_ttl_secs"] = token_ttl_secs
        response = self._request(
            "POST",
            "/rooms/{room_id}/actions/refresh_client_token",
            path={"room_id": room_id},
            json=body,
            idempotent=False,
            resource="join token",
        )
        return self._record(response, ClientToken)

    # -- sessions --------------------------------------------------------------------------------

    def list_room_sessions(
        self,
        room_id: str,
        *,
        page: int = 1,
        page_size: int = DEFAULT_PAGE_SIZE,
        include_participants: bool = False,
        **filters: Any,
    ) -> Page[RoomSession]:
        """One page of a room's sessions (``/rooms/{id}/sessions``).

        Filters: ``active``, ``date_created_at``, ``date_updated_at``, ``date_ended_at``.
        """
        return self._list(
            "/rooms/{room_id}/sessions",
            RoomSession,
            F.ROOM_SESSION_FILTERS,
            filters,
            path={"room_id": room_id},
            page=page,
            page_size=page_size,
            operation="list_room_sessions",
            resource="room",
            extra_params=self._include("include_participants", include_participants),
        )

    def iter_room_sessions(
        self,
        room_id: str,
        *,
        page_size: int = MAX_PAGE_SIZE,
        include_participants: bool = False,
        **filters: Any,
    ) -> Iterator[RoomSession]:
        return self._iterate(
            lambda n: self.list_room_sessions(
                room_id, page=n, page_size=page_size, include_participants=include_participants, **filters
            )
        )

    def list_sessions(
        self,
        *,
        page: int = 1,
        page_size: int = DEFAULT_PAGE_SIZE,
        include_participants: bool = False,
        **filters: Any,
    ) -> Page[RoomSession]:
        """One page of sessions of all rooms (``/room_sessions``).

        Filters: ``room_id``, ``active``, ``date_created_at``, ``date_updated_at``, ``date_ended_at``.
        """
        return self._list(
            "/room_sessions",
            RoomSession,
            F.SESSION_FILTERS,
            filters,
            page=page,
            page_size=page_size,
            operation="list_sessions",
            resource="room session",
            extra_params=self._include("include_participants", include_participants),
        )

    def iter_sessions(
        self, *, page_size: int = MAX_PAGE_SIZE, include_participants: bool = False, **filters: Any
    ) -> Iterator[RoomSession]:
        return self._iterate(
            lambda n: self.list_sessions(
                page=n, page_size=page_size, include_participants=include_participants, **filters
            )
        )

    def get_session(self, session_id: str, *, include_participants: bool = False) -> RoomSession:
        response = self._request(
            "GET",
            "/room_sessions/{room_session_id}",
            path={"room_session_id": session_id},
            params=self._include("include_participants", include_participants),
            resource="room session",
        )
        return self._record(response, RoomSession, participants=include_participants)

    def end_session(self, session_id: str) -> str:
        """End a session, kicking everyone; returns Telnyx's ``result`` ("ok"). Retried (idempotent)."""
        return self._session_action(session_id, "end", None)

    def mute_participants(
        self, session_id: str, participants: Participants = "all", *, exclude: Sequence[str] | None = None
    ) -> str:
        """Mute ``"all"`` or a list of participant ids, minus ``exclude``. Returns ``result`` ("ok")."""
        return self._session_action(session_id, "mute", self._participants_body(participants, exclude))

    def unmute_participants(
        self, session_id: str, participants: Participants = "all", *, exclude: Sequence[str] | None = None
    ) -> str:
        """Unmute ``"all"`` or a list of participant ids, minus ``exclude``. Returns ``result`` ("ok")."""
        return self._session_action(session_id, "unmute", self._participants_body(participants, exclude))

    def kick_participants(
        self, session_id: str, participants: Participants = "all", *, exclude: Sequence[str] | None = None
    ) -> str:
        """Kick ``"all"`` or a list of participant ids, minus ``exclude``. Returns ``result`` ("ok")."""
        return self._session_action(session_id, "kick", self._participants_body(participants, exclude))

    # -- participants ----------------------------------------------------------------------------

    def list_participants(
        self, *, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE, **filters: Any
    ) -> Page[RoomParticipant]:
        """One page of participants (``/room_participants``).

        Filters: ``session_id``, ``context``, ``date_joined_at``, ``date_left_at``, ``date_updated_at``.
        """
        return self._list(
            "/room_participants",
            RoomParticipant,
            F.PARTICIPANT_FILTERS,
            filters,
            page=page,
            page_size=page_size,
            operation="list_participants",
            resource="room participant",
        )

    def iter_participants(
        self, *, page_size: int = MAX_PAGE_SIZE, **filters: Any
    ) -> Iterator[RoomParticipant]:
        return self._iterate(lambda n: self.list_participants(page=n, page_size=page_size, **filters))

    def list_session_participants(
        self, session_id: str, *, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE, **filters: Any
    ) -> Page[RoomParticipant]:
        """One page of a session's participants (``/room_sessions/{id}/participants``).

        Filters: ``context``, ``date_joined_at``, ``date_left_at``, ``date_updated_at``.
        """
        return self._list(
            "/room_sessions/{room_session_id}/participants",
            RoomParticipant,
            F.SESSION_PARTICIPANT_FILTERS,
            filters,
            path={"room_session_id": session_id},
            page=page,
            page_size=page_size,
            operation="list_session_participants",
            resource="room session",
        )

    def iter_session_participants(
        self, session_id: str, *, page_size: int = MAX_PAGE_SIZE, **filters: Any
    ) -> Iterator[RoomParticipant]:
        return self._iterate(
            lambda n: self.list_session_participants(session_id, page=n, page_size=page_size, **filters)
        )

    def get_participant(self, participant_id: str) -> RoomParticipant:
        response = self._request(
            "GET",
            "/room_participants/{room_participant_id}",
            path={"room_participant_id": participant_id},
            resource="room participant",
        )
        return self._record(response, RoomParticipant)

    # -- recordings ------------------------------------------------------------------------------

    def list_recordings(
        self, *, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE, **filters: Any
    ) -> Page[RoomRecording]:
        """One page of recordings.

        Filters: ``room_id``, ``session_id``, ``participant_id``, ``status``, ``type``,
        ``duration_secs``, ``date_started_at``, ``date_ended_at`` (``__eq/__gte/__lte``).
        """
        return self._list(
            "/room_recordings",
            RoomRecording,
            F.RECORDING_FILTERS,
            filters,
            page=page,
            page_size=page_size,
            operation="list_recordings",
            resource="recording",
        )

    def iter_recordings(self, *, page_size: int = MAX_PAGE_SIZE, **filters: Any) -> Iterator[RoomRecording]:
        return self._iterate(lambda n: self.list_recordings(page=n, page_size=page_size, **filters))

    def get_recording(self, recording_id: str) -> RoomRecording:
        response = self._request(
            "GET",
            "/room_recordings/{room_recording_id}",
            path={"room_recording_id": recording_id},
            resource="recording",
        )
        return self._record(response, RoomRecording)

    def delete_recording(self, recording_id: str) -> None:
        self._delete(
            "/room_recordings/{room_recording_id}", {"room_recording_id": recording_id}, resource="recording"
        )

    def delete_recordings(self, **filters: Any) -> int:
        """Bulk delete recordings matching the filters (those of ``list_recordings``); returns the count.

        At least one filter is required: deleting every recording of the account is never what a
        caller meant by passing nothing. Retried like other deletes; if a first attempt went through
        but its answer was lost, the retry reports only what was still left to delete.
        """
        params = F.build_filter_params(F.RECORDING_FILTERS, filters, operation="delete_recordings")
        if not params:
            raise ValueError(
                "delete_recordings() needs at least one filter; refusing to delete every recording"
            )
        response = self._request("DELETE", "/room_recordings", params=params, resource="recording")
        data = self._data(response)
        count = data.get("room_recordings") if isinstance(data, Mapping) else None
        if not isinstance(count, int):
            raise UnexpectedResponseError(
                "Telnyx's answer to a bulk delete did not say how many recordings went."
            )
        return count

    # -- compositions ----------------------------------------------------------------------------

    def list_compositions(
        self, *, page: int = 1, page_size: int = DEFAULT_PAGE_SIZE, **filters: Any
    ) -> Page[RoomComposition]:
        """One page of compositions.

        Filters: ``session_id``, ``status``, ``date_created_at`` (``__eq/__gte/__lte``).
        """
        return self._list(
            "/room_compositions",
            RoomComposition,
            F.COMPOSITION_FILTERS,
            filters,
            page=page,
            page_size=page_size,
            operation="list_compositions",
            resource="composition",
        )

    def iter_compositions(
        self, *, page_size: int = MAX_PAGE_SIZE, **filters: Any
    ) -> Iterator[RoomComposition]:
        return self._iterate(lambda n: self.list_compositions(page=n, page_size=page_size, **filters))

    def get_composition(self, composition_id: str) -> RoomComposition:
        response = self._request(
            "GET",
            "/room_compositions/{room_composition_id}",
            path={"room_composition_id": composition_id},
            resource="composition",
        )
        return self._record(response, RoomComposition)

    def create_composition(
        self,
        *,
        session_id: str,
        format: str | None = None,  # noqa: A002 - the API's name
        resolution: str | None = None,
        video_layout: Mapping[str, Mapping[str, Any]] | None = None,
        webhook_event_url: str | None = None,
        webhook_event_failover_url: str | None = None,
        webhook_timeout_secs: int | None = None,
    ) -> RoomComposition:
        """Ask Telnyx to compose a session (202; status starts ``enqueued``). ``None`` arguments are not sent.

        ``video_layout`` maps region names to regions (``x_pos``, ``y_pos``, ``z_pos``, ``width``,
        ``height``, ``video_sources``, ``max_columns``, ``max_rows``); at most 2 regions. Not retried
        once the request may have reached Telnyx (``NotRetriedError``), like ``create_room``.
        """
        if not session_id:
            raise ValueError("create_composition() needs a session_id")
        body = {
            key: value
            for key, value in {
                "session_id": str(session_id),
                "format": format,
                "resolution": resolution,
                "video_layout": {name: dict(region) for name, region in video_layout.items()}
                if video_layout is not None
                else None,
                "webhook_event_url": webhook_event_url,
                "webhook_event_failover_url": webhook_event_failover_url,
                "webhook_timeout_secs": webhook_timeout_secs,
            }.items()
            if value is not None
        }
        response = self._request(
            "POST", "/room_compositions", json=body, idempotent=False, resource="composition"
        )
        return self._record(response, RoomComposition)

    def delete_composition(self, composition_id: str) -> None:
        self._delete(
            "/room_compositions/{room_composition_id}",
            {"room_composition_id": composition_id},
            resource="composition",
        )

    # -- downloads -------------------------------------------------------------------------------

    def open_download(
        self,
        record_or_url: RoomRecording | RoomComposition | str,
        *,
        refetch: Callable[[], RoomRecording | RoomComposition | str | None] | None = None,
        byte_range: str | None = None,
    ) -> DownloadStream:
        """Open a recording's or composition's file for streaming; the caller closes the result
        (``close()``, or ``with``), which releases the connection.

        ``byte_range`` is forwarded as the ``Range`` header (e.g. ``"bytes=0-1023"``), so a view can
        answer 206 with the stream's ``status_code`` and ``content_range``. The body is read in
        chunks through ``iter_bytes``, never whole.

        ``download_url`` links expire. When the link answers 403 or 404, ``refetch`` is called for
        the record again (it defaults to ``get_recording``/``get_composition`` for a record) and the
        fresh link is tried once more; a 404 for the fresh link is ``DownloadGoneError`` (the record
        exists, its file does not). The API key is sent only if the link is on the API's own origin
        (the sandbox); real Telnyx storage links are pre-signed and get no key.
        """
        url: str | None
        if isinstance(record_or_url, str):
            url = record_or_url
        else:
            url = record_or_url.download_url
            if refetch is None:
                refetch = self._default_refetch(record_or_url)
        if not url:
            url = self._fresh_url(refetch, record_or_url)
        try:
            response = self._open_download(url, byte_range)
        except (NotFoundError, PermissionDeniedError) as exc:
            if refetch is None:
                raise
            logger.info("telnyx download link answered %s; fetching the record for a fresh link", exc.status)
            response = self._open_download(
                self._fresh_url(refetch, record_or_url), byte_range, retry_of_expired=True
            )
        return DownloadStream(response)

    def stream_download(
        self,
        record_or_url: RoomRecording | RoomComposition | str,
        *,
        refetch: Callable[[], RoomRecording | RoomComposition | str | None] | None = None,
        byte_range: str | None = None,
    ) -> DownloadStream:
        """``open_download`` for a ``with`` block: ``with client.stream_download(record) as stream``."""
        return self.open_download(record_or_url, refetch=refetch, byte_range=byte_range)

    def open_recording_stream(self, recording_id: str, *, byte_range: str | None = None) -> DownloadStream:
        """Open a recording's file by id (see ``open_download``); use it in a ``with`` block."""
        return self.open_download(self.get_recording(recording_id), byte_range=byte_range)

    def open_composition_stream(
        self, composition_id: str, *, byte_range: str | None = None
    ) -> DownloadStream:
        """Open a composition's file by id (see ``open_download``); use it in a ``with`` block."""
        return self.open_download(self.get_composition(composition_id), byte_range=byte_range)

    def _default_refetch(
        self, record: RoomRecording | RoomComposition
    ) -> Callable[[], RoomRecording | RoomComposition]:
        if isinstance(record, RoomRecording):
            return lambda: self.get_recording(record.id)
        if isinstance(record, RoomComposition):
            return lambda: self.get_composition(record.id)
        raise TypeError(
            f"stream_download() takes a RoomRecording, a RoomComposition or a URL, not {record!r}"
        )

    def _fresh_url(
        self,
        refetch: Callable[[], RoomRecording | RoomComposition | str | None] | None,
        original: RoomRecording | RoomComposition | str,
    ) -> str:
        what = "composition" if isinstance(original, RoomComposition) else "recording"
        fresh = refetch() if refetch is not None else None
        url = fresh if isinstance(fresh, str) or fresh is None else fresh.download_url
        if not url:
            status = getattr(fresh, "status", None)
            suffix = f" (its status is {status})" if status else ""
            raise DownloadUnavailableError(f"This {what} has no download link yet{suffix}.")
        return url

    def _open_download(
        self, url: str, byte_range: str | None, *, retry_of_expired: bool = False
    ) -> httpx.Response:
        target = httpx.URL(url)
        if not target.is_absolute_url:
            target = httpx.URL(self.base_url + "/").join(url)
        # Only the API's own origin gets the key: storage links are pre-signed and may be anywhere.
        auth = self._auth if _origin(target) == self._api_origin else None
        if auth is not None:
            self._require_key()
        headers = {"Accept": "*/*"}
        if byte_range:
            headers["Range"] = byte_range
        what = "GET download"

        def attempt(number: int) -> httpx.Response:
            request = self._http.build_request("GET", target, headers=headers)
            started = time.monotonic()
            try:
                response = self._http.send(request, stream=True, auth=auth, follow_redirects=True)
            except httpx.TransportError as exc:
                raise self._transport_error(exc, what, number, started) from None
            self._log(what, response.status_code, number, started)
            if response.status_code >= 400:
                try:
                    response.read()
                finally:
                    response.close()
                raise self._error_from_response(response, "download", download_retry=retry_of_expired)
            return response

        return self._retry.call(attempt, idempotent=True, what=what)

    # -- plumbing --------------------------------------------------------------------------------

    @staticmethod
    def _include(name: str, value: bool) -> dict[str, str]:
        return {name: "true"} if value else {}

    @staticmethod
    def _participants_body(participants: Participants, exclude: Sequence[str] | None) -> dict[str, Any]:
        body: dict[str, Any]
        if participants == "all":
            body = {"participants": "all"}
        elif isinstance(participants, str):
            raise ValueError('participants must be "all" or a list of participant ids')
        else:
            ids = [str(p) for p in participants]
            if not ids:
                raise ValueError('participants must be "all" or a non-empty list of participant ids')
            body = {"participants": ids}
        if exclude:
            if isinstance(exclude, str):
                raise ValueError("exclude must be a list of participant ids")
            body["exclude"] = [str(p) for p in exclude]
        return body

    def _session_action(self, session_id: str, action: str, body: dict[str, Any] | None) -> str:
        """POST a session action; ``None`` sends no body at all (the spec gives ``end`` none)."""
        response = self._request(
            "POST",
            "/room_sessions/{room_session_id}/actions/" + action,
            path={"room_session_id": session_id},
            json=body,
            resource="room session",
        )
        data = self._data(response)
        result = data.get("result") if isinstance(data, Mapping) else None
        return str(result) if result is not None else "ok"

    def _delete(self, template: str, path: dict[str, str], *, resource: str) -> None:
        self._request("DELETE", template, path=path, resource=resource)

    def _list(
        self,
        template: str,
        record: type[RecordT],
        allowed: Mapping[str, F.Kind],
        filters: Mapping[str, Any],
        *,
        page: int,
        page_size: int,
        operation: str,
        resource: str,
        path: dict[str, str] | None = None,
        extra_params: Mapping[str, str] | None = None,
    ) -> Page[RecordT]:
        # Callers outside the type checker (scripts, the shell) may pass strings: refuse them here.
        if not isinstance(page, int) or page < 1:  # type: ignore[redundant-expr]
            raise ValueError(f"{operation}(): page must be 1 or more, not {page!r}")
        if not isinstance(page_size, int) or not 1 <= page_size <= MAX_PAGE_SIZE:  # type: ignore[redundant-expr]
            raise ValueError(
                f"{operation}(): page_size must be between 1 and {MAX_PAGE_SIZE}, not {page_size!r}"
            )
        params: dict[str, str | int] = {"page[number]": page, "page[size]": page_size}
        params.update(extra_params or {})
        params.update(F.build_filter_params(allowed, filters, operation=operation))
        response = self._request("GET", template, path=path, params=params, resource=resource)
        body = self._json(response)
        data = body.get("data")
        if not isinstance(data, list):
            raise UnexpectedResponseError(f"Telnyx's list of {resource}s had no data.")
        included = extra_params or {}
        items = [
            self._parse(
                record,
                item,
                sessions="include_sessions" in included,
                participants="include_participants" in included,
            )
            for item in data
        ]
        meta = PageMeta.from_api(body.get("meta"), page=page, page_size=page_size, count=len(items))
        return Page(items=items, meta=meta)

    @staticmethod
    def _iterate(fetch: Callable[[int], Page[T]]) -> Iterator[T]:
        """Walk pages from 1; stop on an empty page or at ``page_number >= total_pages`` (as the SDK does)."""
        number = 1
        while True:
            page = fetch(number)
            yield from page.items
            if not page.items or page.meta.page_number >= page.meta.total_pages:
                return
            # Our own counter, not the echoed page_number: a server that echoes a wrong number must
            # not make this loop forever.
            number += 1

    def _record(
        self, response: httpx.Response, record: type[T], *, sessions: bool = False, participants: bool = False
    ) -> T:
        return self._parse(record, self._data(response), sessions=sessions, participants=participants)

    @staticmethod
    def _parse(record: type[T], data: Any, *, sessions: bool = False, participants: bool = False) -> T:
        """Parse one record. Relations not asked for become None: the API sends ``[]`` for those too,
        so None reliably means "not included" and a list means "included" (possibly empty)."""
        try:
            item = record.from_api(data)  # type: ignore[attr-defined]  # every record type T has from_api; T is unbound here
        except (TypeError, KeyError) as exc:
            raise UnexpectedResponseError(
                f"Telnyx sent a {record.__name__} the dashboard could not read ({exc})."
            ) from None
        if isinstance(item, Room):
            if not sessions:
                item.sessions = None
            for session in item.sessions or []:
                session.participants = None
        elif isinstance(item, RoomSession) and not participants:
            item.participants = None
        return item  # type: ignore[no-any-return]  # from_api of type[T] answers a T

    def _json(self, response: httpx.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            raise UnexpectedResponseError(
                f"Telnyx answered {response.status_code} with a body that is not JSON.",
                status=response.status_code,
            ) from None
        if not isinstance(body, dict):
            raise UnexpectedResponseError(
                "Telnyx answered with JSON of an unexpected shape.", status=response.status_code
            )
        return body

    def _data(self, response: httpx.Response) -> Any:
        body = self._json(response)
        if "data" not in body:
            raise UnexpectedResponseError("Telnyx's answer had no data.", status=response.status_code)
        return body["data"]

    def _require_key(self) -> None:
        if not self._api_key:
            raise AuthenticationError("No Telnyx API key is configured; set TELNYX_API_KEY.")

    def _request(
        self,
        method: str,
        template: str,
        *,
        path: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        idempotent: bool = True,
        resource: str,
    ) -> httpx.Response:
        """Send one API call through the retry policy; return the 2xx response or raise a ``TelnyxError``."""
        self._require_key()
        url = template
        if path:
            for name, value in path.items():
                if not value or not str(value).strip():
                    raise ValueError(f"{name} must not be empty")
            url = template.format(**{name: quote(str(value), safe="") for name, value in path.items()})
        what = f"{method} {template}"

        def attempt(number: int) -> httpx.Response:
            timeout, binding = self._attempt_timeout()
            breaker = self.breaker
            watched = breaker.before_call() if breaker is not None else False
            started = time.monotonic()
            try:
                response = self._http.request(
                    method, url, params=params, json=json, auth=self._auth, timeout=timeout
                )
            except httpx.TransportError as exc:
                if breaker is not None:
                    breaker.record_failure()
                error = self._transport_error(exc, what, number, started)
                if binding is not None and isinstance(error, TelnyxTimeout):
                    error = self._budget_timeout(binding, request_sent=error.request_sent)
                raise error from None
            if breaker is not None and response.status_code >= 500:
                breaker.record_failure()
            elif breaker is not None and watched:
                breaker.record_success()  # any other answer, 4xx included: Telnyx is there
            self._log(what, response.status_code, number, started)
            if response.status_code >= 400:
                raise self._error_from_response(response, resource)
            return response

        with self._bulkhead_slot():
            try:
                return self._retry.call(attempt, idempotent=idempotent, what=what)
            except (TelnyxTimeout, TelnyxConnectionError, ServerError) as exc:
                if idempotent or not getattr(exc, "request_sent", True):
                    raise
                raise self._not_retried(exc, resource) from None

    def _bulkhead_slot(self) -> AbstractContextManager[None]:
        """The request's bulkhead slot for one call (``BulkheadFullError`` when none is free);
        work without a budget (tasks) is not limited."""
        budget = current_budget()
        if self.bulkhead is None or budget is None:
            return nullcontext()
        return self.bulkhead.slot(budget)

    def _attempt_timeout(self) -> tuple[httpx.Timeout | Any, Budget | None]:
        """Timeouts for the next attempt, and the budget when it (not the client) sets them.

        Raises ``TelnyxTimeout`` when the budget is already spent: no attempt starts past it.
        """
        budget = current_budget()
        if budget is None:
            return httpx.USE_CLIENT_DEFAULT, None
        left = budget.remaining()
        if left < 0.01:
            raise self._budget_timeout(budget, request_sent=False)
        timeout = httpx.Timeout(
            connect=min(self.connect_timeout, left),
            read=min(self.read_timeout, left),
            write=min(self.read_timeout, left),
            pool=min(self.connect_timeout, left),
        )
        return timeout, budget if left < max(self.connect_timeout, self.read_timeout) else None

    @staticmethod
    def _budget_timeout(budget: Budget, *, request_sent: bool) -> TelnyxTimeout:
        return TelnyxTimeout(f"Telnyx did not answer within {budget.describe()}.", request_sent=request_sent)

    def _log(self, what: str, status: int, attempt: int, started: float) -> None:
        level = logging.DEBUG if status < 400 else logging.INFO
        logger.log(
            level,
            "telnyx %s -> %s (attempt %d, %.0f ms)",
            what,
            status,
            attempt,
            (time.monotonic() - started) * 1000,
        )

    def _transport_error(
        self, exc: httpx.TransportError, what: str, attempt: int, started: float
    ) -> TelnyxError:
        logger.info(
            "telnyx %s -> %s (attempt %d, %.0f ms)",
            what,
            type(exc).__name__,
            attempt,
            (time.monotonic() - started) * 1000,
        )
        if isinstance(exc, httpx.ConnectTimeout):
            return TelnyxTimeout(
                f"Could not connect to Telnyx within {self.connect_timeout:g} seconds.", request_sent=False
            )
        if isinstance(exc, httpx.PoolTimeout):
            return TelnyxTimeout(
                "Too many Telnyx requests are in flight from this server; none was free in time.",
                request_sent=False,
            )
        if isinstance(exc, httpx.TimeoutException):
            return TelnyxTimeout(
                f"Telnyx did not answer within {self.read_timeout:g} seconds.", request_sent=True
            )
        if isinstance(exc, httpx.ConnectError):
            host = httpx.URL(self.base_url).host
            return TelnyxConnectionError(f"Could not connect to Telnyx at {host}.", request_sent=False)
        return TelnyxConnectionError("The connection to Telnyx broke before it answered.", request_sent=True)

    def _not_retried(self, exc: TelnyxError, resource: str) -> NotRetriedError:
        if isinstance(exc, TelnyxTimeout):
            reason, opening = "timeout", "Telnyx did not answer in time"
        elif isinstance(exc, TelnyxConnectionError):
            reason, opening = "connection", "The connection to Telnyx broke before it answered"
        else:
            reason, opening = "server_error", f"Telnyx answered with a server error ({exc.status})"
        hint = _CREATE_HINTS.get(
            resource, f"the {resource} may or may not have been created — check before trying again"
        )
        return NotRetriedError(
            f"{opening}; {hint}.", reason=reason, status=exc.status, code=exc.code, detail=exc.detail
        )

    def _redact(self, text: Any) -> str | None:
        if text is None:
            return None
        shown = str(text)
        if self._api_key and self._api_key in shown:
            shown = shown.replace(self._api_key, "[redacted]")
        return shown

    def _error_from_response(
        self, response: httpx.Response, resource: str, *, download_retry: bool = False
    ) -> TelnyxError:
        status = response.status_code
        try:
            body = response.json()
        except ValueError:
            body = None
        errors: list[dict[str, Any]] = []
        if isinstance(body, dict):
            raw = body.get("errors")
            if isinstance(raw, list):
                errors = [e for e in raw if isinstance(e, dict)]
            elif body.get("code") or body.get("title") or body.get("detail"):
                errors = [body]
        first = errors[0] if errors else {}
        detail = self._redact(
            first.get("detail")
            or first.get("title")
            or (
                body.get("message")
                if isinstance(body, dict) and isinstance(body.get("message"), str)
                else None
            )
        )
        code = str(first["code"]) if first.get("code") is not None else None
        common: dict[str, Any] = {"status": status, "code": code, "detail": detail}

        if resource == "download" and status in (403, 404):
            if download_retry:
                message = (
                    f"The file is no longer available from Telnyx storage ({status}), even with a fresh link."
                )
            else:
                message = f"The download link has expired or is no longer valid ({status})."
            if status == 403:
                return PermissionDeniedError(message, **common)
            return (DownloadGoneError if download_retry else NotFoundError)(message, **common)
        if status == 401:
            return AuthenticationError(
                "Telnyx did not accept the API key (401 Unauthorized); check TELNYX_API_KEY.", **common
            )
        if status == 403:
            text = f"Telnyx refused access to this {resource} (403 Forbidden)"
            return PermissionDeniedError(_sentence(f"{text}: {detail}" if detail else text), **common)
        if status == 404:
            return NotFoundError(
                f"Telnyx has no {resource} with that id; it may have been deleted.", **common
            )
        if status == 422:
            field_errors = [
                (
                    field_from_source(e.get("source")),
                    self._redact(e.get("detail") or e.get("title") or "is invalid") or "",
                )
                for e in errors
            ]
            if field_errors:
                parts = [
                    f"{name}: {msg.rstrip('.')}" if name else msg.rstrip(".") for name, msg in field_errors
                ]
                message = f"Telnyx rejected the {resource}: " + "; ".join(parts) + "."
            else:
                message = _sentence(f"Telnyx rejected the {resource}" + (f": {detail}" if detail else ""))
            return ValidationError(message, field_errors=field_errors, **common)
        retry_after = parse_retry_after(response.headers) if status == 429 or status >= 500 else None
        if status == 429:
            seconds = math.ceil(retry_after or 0)
            wait = f"; try again in {seconds} second{'' if seconds == 1 else 's'}" if seconds else ""
            return RateLimitedError(
                f"Telnyx is rate limiting requests{wait}.", retry_after=retry_after, **common
            )
        if status >= 500:
            return ServerError(
                f"Telnyx had a server error ({status}); try again in a moment.",
                retry_after=retry_after,
                **common,
            )
        text = f"Telnyx refused the request ({status})"
        return BadRequestError(_sentence(f"{text}: {detail}" if detail else text), **common)
