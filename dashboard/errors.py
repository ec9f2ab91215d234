"""The errors a user reads, shared by every app.

Services raise these, never the client's ``TelnyxError``; each view catches them once and shows
``message`` (a sentence that never holds the API key) and, for a refusal, ``field_errors`` beside
the form fields they name.

| class            | meaning                                                      | page shows        |
|------------------|--------------------------------------------------------------|-------------------|
| ``Unavailable``  | Telnyx is down, slow, rate limiting or refusing the key      | banner, last data |
| ``NotFound``     | no such room, session, participant, recording or composition | 404 page          |
| ``Refused``      | the request was refused (Telnyx's 422/4xx, or a rule here)   | message by fields |
| ``OutcomeUnknown``| a create may or may not have happened (timeout after sending)| what to check     |
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from dashboard.telnyx import (
    AuthenticationError,
    BulkheadFullError,
    CircuitOpenError,
    NotFoundError,
    NotRetriedError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
    TelnyxConnectionError,
    TelnyxError,
    TelnyxTimeout,
    ValidationError,
)

logger = logging.getLogger(__name__)

FieldErrors = dict[str | None, list[str]]


class UserError(Exception):
    """A failure described in one sentence a user can read; ``field_errors`` map a form field
    (``None``: no field) to its messages. ``temporary``: the same call may work if tried again later
    unchanged (what a Celery task retries on)."""

    temporary: bool = False

    def __init__(
        self,
        message: str,
        *,
        field_errors: FieldErrors | Iterable[tuple[str | None, str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if field_errors is None:
            self.field_errors: FieldErrors = {}
        elif isinstance(field_errors, dict):
            self.field_errors = {name: list(messages) for name, messages in field_errors.items()}
        else:
            self.field_errors = {}
            for name, text in field_errors:
                self.field_errors.setdefault(name, []).append(text)

    def __str__(self) -> str:
        return self.message


class Unavailable(UserError):
    """Telnyx could not answer now. Pages show the last data they had.

    ``temporary`` is False for a refused API key (401): pages treat it as an outage, but a task must
    not retry it. ``retry_after`` is the wait Telnyx asked for, in seconds, when it said.
    """

    def __init__(
        self,
        message: str,
        *,
        field_errors: FieldErrors | Iterable[tuple[str | None, str]] | None = None,
        temporary: bool = True,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, field_errors=field_errors)
        self.temporary = temporary
        self.retry_after = retry_after


class NotFound(UserError):
    """The thing asked for does not exist (any more)."""


class Refused(UserError):
    """The request was refused and will be refused again as it stands; ``field_errors`` say where."""


class OutcomeUnknown(UserError):
    """A change may or may not have been made (the answer was lost); the message says what to check."""


_UNAVAILABLE = (
    TelnyxTimeout,
    TelnyxConnectionError,
    ServerError,
    RateLimitedError,
    AuthenticationError,
    CircuitOpenError,
    BulkheadFullError,
)


def from_telnyx(exc: TelnyxError, what: str) -> UserError:
    """The user's reading of a client error; ``what`` completes "Could not …" ("list the rooms")."""
    if isinstance(exc, ValidationError):
        fields: FieldErrors = {}
        for name, text in exc.field_errors:
            fields.setdefault(name.split(".")[0] if name else None, []).append(text)
        return Refused(f"Telnyx refused to {what}: {exc.message}", field_errors=fields)
    if isinstance(exc, NotFoundError):
        return NotFound(exc.message)
    if isinstance(exc, NotRetriedError):
        return OutcomeUnknown(f"Could not {what}: {exc.message}")
    if isinstance(exc, _UNAVAILABLE):
        return Unavailable(
            f"Could not {what}: {exc.message}",
            temporary=exc.retryable,
            retry_after=getattr(exc, "retry_after", None),
        )
    if isinstance(exc, PermissionDeniedError):
        return Refused(f"Telnyx refused to {what}: {exc.message}")
    return Refused(f"Could not {what}: {exc.message}")


@contextmanager
def telnyx_call(what: str) -> Iterator[None]:
    """Run Telnyx calls, turning a client error into the ``UserError`` a page shows."""
    try:
        yield
    except TelnyxError as exc:
        logger.info("telnyx call failed (%s): %s", what, exc.message)
        raise from_telnyx(exc, what) from None


class _Form(Protocol):
    fields: dict[str, Any]

    def add_error(self, field: str | None, error: Any) -> None: ...


def add_to_form(form: _Form, error: UserError) -> None:
    """Put the error's messages beside the fields they name, the rest above the form; when no
    message landed beside a field, the error's own sentence goes above the form too."""
    placed = False
    for name, texts in error.field_errors.items():
        for text in texts:
            on_field = name is not None and name in form.fields
            form.add_error(name if on_field else None, text)
            placed = placed or on_field
    if not placed:
        form.add_error(None, error.message)
