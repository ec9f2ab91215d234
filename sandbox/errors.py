"""Error bodies shaped like Telnyx's, raised as exceptions and rendered by the HTTP layer.

Codes 10005 (not found), 10009 (authentication) and 10011 (rate limit) are documented by Telnyx. The others
are the safest guesses we have (see TELNYX-FACTS.md): 10004 missing parameter, 10007 unexpected error,
10010 authorization failed, 10015 invalid value.
"""

from __future__ import annotations

from typing import Any

MISSING = "10004"
NOT_FOUND = "10005"
UNEXPECTED = "10007"
AUTHENTICATION = "10009"
FORBIDDEN = "10010"
RATE_LIMITED = "10011"
INVALID = "10015"


def error(
    code: str, title: str, detail: str, *, pointer: str | None = None, parameter: str | None = None
) -> dict[str, Any]:
    entry: dict[str, Any] = {"code": code, "title": title, "detail": detail}
    if pointer is not None:
        entry["source"] = {"pointer": pointer}
    elif parameter is not None:
        entry["source"] = {"parameter": parameter}
    entry["meta"] = {"url": f"https://developers.telnyx.com/docs/overview/errors/{code}"}
    return entry


def invalid(detail: str, *, pointer: str | None = None, parameter: str | None = None) -> dict[str, Any]:
    return error(INVALID, "Invalid value", detail, pointer=pointer, parameter=parameter)


class ApiError(Exception):
    """An API answer other than success: status, Telnyx ``errors`` entries and extra headers.

    ``flat`` copies the first entry's fields to the top level as well: the spec describes 403 and 404
    bodies as a single ``video_Error`` object while Telnyx (and the facts) send an ``errors`` list, so
    those bodies carry both shapes and validate against either.
    """

    def __init__(
        self,
        status: int,
        errors: list[dict[str, Any]],
        headers: dict[str, str] | None = None,
        *,
        flat: bool = False,
    ) -> None:
        super().__init__(f"{status}: {errors[0].get('detail') if errors else ''}")
        self.status = status
        self.errors = errors
        self.headers = headers or {}
        self.flat = flat

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"errors": self.errors}
        if self.flat and self.errors:
            body.update(self.errors[0])
        return body


def not_found(what: str = "Resource") -> ApiError:
    return ApiError(
        404,
        [error(NOT_FOUND, "Resource not found", f"{what} not found. It may have been deleted.")],
        flat=True,
    )


def forbidden(detail: str) -> ApiError:
    return ApiError(403, [error(FORBIDDEN, "Authorization failed", detail)], flat=True)


def unprocessable(errors: list[dict[str, Any]]) -> ApiError:
    return ApiError(422, errors)
