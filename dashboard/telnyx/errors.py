"""The one error hierarchy for everything that can go wrong talking to Telnyx.

Every error carries ``message``: one sentence a dashboard user can read, never containing the API key
(the client redacts anything the server echoes back before it reaches an error). ``status`` is the
HTTP status when there was a response. ``retryable`` says whether trying again later is safe and may
help, which is what Celery tasks should look at rather than the class:

========================== ======= ===========================================================
class                      status  meaning
========================== ======= ===========================================================
AuthenticationError        401     the API key is missing or wrong
PermissionDeniedError      403     the key may not do this (or a storage link refused access)
NotFoundError              404     no such record (or an expired storage link)
DownloadGoneError          404     the file itself is gone from storage, even with a fresh link
ValidationError            422     Telnyx rejected the input; ``field_errors`` say where
RateLimitedError           429     too many requests; ``retry_after`` seconds, if Telnyx said
ServerError                5xx     Telnyx failed
BadRequestError            4xx     any other client error (400, 405, 409, ...)
TelnyxTimeout              -       no answer in time
TelnyxConnectionError      -       could not reach Telnyx
NotRetriedError            -/5xx   a create that may have reached Telnyx failed with an unknown
                                   outcome; deliberately not retried (``retryable`` is False)
UnexpectedResponseError    2xx     an answer the client could not read
DownloadUnavailableError   -       the record has no download link (yet)
CircuitOpenError           -       not sent: Telnyx failed repeatedly and the breaker is open;
                                   ``retry_after`` is the rest of the cool-off
BulkheadFullError          -       not sent: too many of this process's requests are already
                                   waiting on Telnyx (request path only)
========================== ======= ===========================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "AuthenticationError",
    "BadRequestError",
    "BulkheadFullError",
    "CircuitOpenError",
    "DownloadGoneError",
    "DownloadUnavailableError",
    "NotFoundError",
    "NotRetriedError",
    "PermissionDeniedError",
    "RateLimitedError",
    "ServerError",
    "TelnyxConnectionError",
    "TelnyxError",
    "TelnyxTimeout",
    "UnexpectedResponseError",
    "ValidationError",
    "field_from_source",
]


class TelnyxError(Exception):
    """Base of every error the Telnyx client raises."""

    #: Trying the same call again later is safe and may succeed.
    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        detail: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        #: Telnyx's own error code (for example "10009"), when the body had one.
        self.code = code
        #: Telnyx's ``detail`` text of the first error, already redacted.
        self.detail = detail

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        # Celery and multiprocessing pickle exceptions; keep every attribute, not just the message.
        return (_rebuild, (type(self), self.message, dict(self.__dict__)))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, message={self.message!r})"


class AuthenticationError(TelnyxError):
    """401: the API key is missing, wrong or revoked."""


class PermissionDeniedError(TelnyxError):
    """403: the key is valid but may not do this; from a storage host, usually an expired link."""


class NotFoundError(TelnyxError):
    """404: no such record; from a storage host, usually an expired link."""


class DownloadGoneError(NotFoundError):
    """404 from storage for a link fetched fresh: the record exists in Telnyx, its file no longer does."""


class BadRequestError(TelnyxError):
    """Any 4xx without a class of its own (400, 405, 409, ...)."""


class ValidationError(TelnyxError):
    """422: Telnyx rejected the input.

    ``field_errors`` is a list of ``(field, message)``; ``field`` is taken from the error's
    ``source.pointer`` (``"/max_participants"`` becomes ``"max_participants"``, nested pointers such
    as ``"/video_layout/first/x_pos"`` become ``"video_layout.first.x_pos"``) or ``source.parameter``,
    and is ``None`` for an error that names no field (Django's convention for non-field errors).
    """

    def __init__(
        self,
        message: str,
        *,
        field_errors: Sequence[tuple[str | None, str]] = (),
        status: int | None = 422,
        code: str | None = None,
        detail: str | None = None,
    ) -> None:
        super().__init__(message, status=status, code=code, detail=detail)
        self.field_errors: list[tuple[str | None, str]] = list(field_errors)

    def errors_for(self, field: str) -> list[str]:
        """Messages for one top-level field (nested pointers count for their root field)."""
        return [
            msg
            for name, msg in self.field_errors
            if name is not None and (name == field or name.startswith(field + "."))
        ]


class RateLimitedError(TelnyxError):
    """429: Telnyx is rate limiting; ``retry_after`` is the wait in seconds it asked for, if any."""

    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("status", 429)
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(TelnyxError):
    """5xx: Telnyx failed; ``retry_after`` is set when a 503 carried ``Retry-After``."""

    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class TelnyxTimeout(TelnyxError):
    """Telnyx did not answer in time.

    ``request_sent`` is False only when the timeout happened before the request left this process
    (connecting, or waiting for a pooled connection), so Telnyx cannot have acted on it.
    """

    retryable = True

    def __init__(self, message: str, *, request_sent: bool = True, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.request_sent = request_sent


class TelnyxConnectionError(TelnyxError):
    """Telnyx could not be reached, or the connection broke.

    ``request_sent`` is False for a failure to connect at all (Telnyx cannot have acted on it), True
    for a connection that broke after the request was written.
    """

    retryable = True

    def __init__(self, message: str, *, request_sent: bool = True, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.request_sent = request_sent


class NotRetriedError(TelnyxError):
    """A create (room, composition, join token) failed in a way that leaves its outcome unknown.

    Raised instead of retrying when the request may already have reached Telnyx: a read timeout, a
    connection that broke after sending, or a 5xx answer. A duplicate room or composition is worse
    than an error, so the client does not try again and neither should the caller without first
    checking whether the thing exists. ``reason`` is ``"timeout"``, ``"connection"`` or
    ``"server_error"``; ``status`` is the 5xx status for the last one. Not ``retryable``, on
    purpose: generic "retry temporary errors" code must not repeat a create.
    """

    retryable = False
    may_have_succeeded = True

    def __init__(self, message: str, *, reason: str = "unknown", **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.reason = reason


class CircuitOpenError(TelnyxError):
    """The call was not sent: the circuit breaker is open (``dashboard.telnyx.breaker``).

    ``retry_after`` is how long until the breaker lets a probe through; trying again then is safe.
    """

    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class BulkheadFullError(TelnyxError):
    """The call was not sent: this process already has as many requests waiting on Telnyx as it
    allows (``dashboard.telnyx.bulkhead``)."""

    retryable = True


class UnexpectedResponseError(TelnyxError):
    """Telnyx answered with something the client could not read (not JSON, or not the shape expected)."""


class DownloadUnavailableError(TelnyxError):
    """The recording or composition has no ``download_url`` (still processing, or gone)."""


def _rebuild(cls: type[TelnyxError], message: str, state: dict[str, Any]) -> TelnyxError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


def field_from_source(source: Any) -> str | None:
    """The form field an error's ``source`` names: a JSON pointer as a dotted path, or the parameter.

    RFC 6901 escapes are undone (``~1`` is ``/``, ``~0`` is ``~``); an empty pointer or ``"/"``
    names the whole document, which is a non-field error (``None``).
    """
    if not isinstance(source, dict):
        return None
    pointer = source.get("pointer")
    if isinstance(pointer, str) and pointer.strip("/"):
        parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.strip("/").split("/")]
        # "/data/attributes/x" is JSON:API style; the fields live below it.
        if parts[:2] == ["data", "attributes"] and len(parts) > 2:
            parts = parts[2:]
        return ".".join(parts)
    parameter = source.get("parameter")
    if isinstance(parameter, str) and parameter:
        return parameter
    return None
