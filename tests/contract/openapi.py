"""Validate Telnyx API responses against the spec's schemas (the committed, generated copy).

    from tests.contract.openapi import validate_response, validate_httpx_response
    validate_response("GET", "/v2/rooms/6b1c...", 200, body)   # raises ResponseSchemaError

Paths may be full URLs, start with ``/v2`` or be bare templates' concrete paths. The status picks the
spec's schema for that exact code, else its ``4XX``/``5XX`` range, else ``default``. An error status the
spec does not list for the operation (a 401, a 429, a 503) is checked against Telnyx's ``errors``
envelope (``video_Errors``), which TELNYX-FACTS.md documents for every error. A 2xx the spec does not list
is an error. Formats ``uuid``, ``uri``, ``date-time`` and ``date`` are enforced.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
from jsonschema import Draft202012Validator, FormatChecker

SCHEMAS_FILE = Path(__file__).with_name("telnyx_video_openapi.json")
DATE_TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
URI_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


class ResponseSchemaError(AssertionError):
    pass


FORMATS = FormatChecker(formats=())


@FORMATS.checks("uuid")
def _is_uuid(value: object) -> bool:
    return not isinstance(value, str) or bool(UUID_RE.match(value))


@FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not DATE_TIME_RE.match(value):
        return False
    datetime.fromisoformat(value.replace("Z", "+00:00"))
    return True


@FORMATS.checks("uri")
def _is_uri(value: object) -> bool:
    """An absolute URI: a scheme and something after it (an empty string is not a URI)."""
    return not isinstance(value, str) or bool(URI_RE.match(value))


@FORMATS.checks("date", raises=ValueError)
def _is_date(value: object) -> bool:
    if isinstance(value, str):
        date.fromisoformat(value)
    return True


@cache
def _spec() -> dict[str, Any]:
    return json.loads(SCHEMAS_FILE.read_text())


@cache
def _operations() -> list[tuple[re.Pattern[str], dict[str, Any]]]:
    compiled = []
    for op in _spec()["operations"]:
        pattern = re.sub(r"\{\w+\}", "[^/]+", op["path"])
        compiled.append((re.compile(f"^{pattern}$"), op))
    # literal segments win over parameters: /room_recordings before /room_recordings/{id}
    compiled.sort(key=lambda pair: pair[1]["path"].count("{"))
    return compiled


def operation_for(method: str, path: str) -> dict[str, Any]:
    """The spec operation for a method and a concrete path (URL, ``/v2/...`` or bare)."""
    path = urlsplit(path).path if "://" in path else path.split("?", 1)[0]
    if path.startswith("/v2/"):
        path = path[3:]
    path = path.rstrip("/") or "/"
    for regex, op in _operations():
        if op["method"] == method.upper() and regex.match(path):
            return op
    raise ResponseSchemaError(f"no operation in the spec for {method.upper()} {path}")


def schema_for(method: str, path: str, status: int) -> tuple[dict[str, Any], dict[str, Any] | None]:
    op = operation_for(method, path)
    responses = op["responses"]
    for key in (str(status), f"{str(status)[0]}XX", "default"):
        if key in responses:
            return op, responses[key]
    if status >= 400:
        return op, _spec()["error_envelope"]
    raise ResponseSchemaError(
        f"{op['operation_id']} ({op['method']} {op['path']}) does not answer {status} in the spec "
        f"(documented: {', '.join(responses)})"
    )


def validate_response(method: str, path: str, status: int, body: Any) -> dict[str, Any]:
    """Raise ResponseSchemaError unless ``body`` (parsed JSON, raw bytes/str, or None for no body) is
    what the spec allows for this operation and status. Returns the operation."""
    op, schema = schema_for(method, path, status)
    if isinstance(body, bytes | bytearray):
        body = body.decode()
    if isinstance(body, str):
        body = json.loads(body) if body.strip() else None
    where = f"{op['operation_id']} {status}"
    if schema is None:
        if status == 204 and body is not None:
            raise ResponseSchemaError(f"{where}: expected no body, got {body!r}")
        return op
    if body is None:
        raise ResponseSchemaError(f"{where}: expected a JSON body, got none")
    validator = Draft202012Validator(schema, format_checker=FORMATS)
    problems = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    if problems:
        lines = [f"/{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in problems[:10]]
        raise ResponseSchemaError(f"{where} does not match the spec:\n  " + "\n  ".join(lines))
    return op


def validate_httpx_response(response: Any) -> dict[str, Any]:
    """Validate an ``httpx.Response`` (reads it if needed); for use as an httpx ``response`` event hook."""
    response.read()
    return validate_response(
        response.request.method, str(response.request.url), response.status_code, response.content
    )


__all__ = [
    "ResponseSchemaError",
    "jsonschema",
    "operation_for",
    "schema_for",
    "validate_httpx_response",
    "validate_response",
]
