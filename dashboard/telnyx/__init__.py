"""The Telnyx Video Rooms API client: the one place the dashboard speaks HTTP to Telnyx.

Use ``get_client()`` for the process-wide client built from settings, or construct ``TelnyxClient``
directly (tests, scripts). Records, errors and the retry rules are documented in their modules.

On the request path the client is held to a budget, a breaker and a bulkhead (``deadline``,
``breaker``, ``bulkhead``): a page waits at most ``TELNYX_PAGE_BUDGET_SECS`` for all its calls,
fails at once while Telnyx is known to be down, and never lets more than ``TELNYX_BULKHEAD_SIZE``
of a process's requests wait on Telnyx. Background work keeps the client's long per-call limits.
"""

from dashboard.telnyx.client import DEFAULT_BASE_URL, MAX_PAGE_SIZE, UNSET, TelnyxClient
from dashboard.telnyx.configured import close_client, get_client
from dashboard.telnyx.downloads import DownloadStream
from dashboard.telnyx.errors import (
    AuthenticationError,
    BadRequestError,
    BulkheadFullError,
    CircuitOpenError,
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

__all__ = [
    "DEFAULT_BASE_URL",
    "MAX_PAGE_SIZE",
    "UNSET",
    "AuthenticationError",
    "BadRequestError",
    "BulkheadFullError",
    "CircuitOpenError",
    "ClientToken",
    "DownloadGoneError",
    "DownloadStream",
    "DownloadUnavailableError",
    "NotFoundError",
    "NotRetriedError",
    "Page",
    "PageMeta",
    "PermissionDeniedError",
    "RateLimitedError",
    "Room",
    "RoomComposition",
    "RoomParticipant",
    "RoomRecording",
    "RoomSession",
    "ServerError",
    "TelnyxClient",
    "TelnyxConnectionError",
    "TelnyxError",
    "TelnyxTimeout",
    "UnexpectedResponseError",
    "ValidationError",
    "close_client",
    "get_client",
]
