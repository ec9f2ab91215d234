"""Request validation with one Telnyx-style error per problem, each naming its field.

Bodies report ``source.pointer`` (``/max_participants``); query strings report ``source.parameter``
(``page[size]``, ``filter[date_started_at][gte]``).
"""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .errors import MISSING, error, invalid
from .timeutil import parse_day

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
RESOLUTION_RE = re.compile(r"^(\d{1,5})x(\d{1,5})$")
MAX_PIXELS = 1280 * 720

Errors = list[dict[str, Any]]


def is_uuid(value: object) -> bool:
    if not isinstance(value, str) or not UUID_RE.match(value):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def as_int(value: object) -> int | None:
    """``value`` as an integer when JSON gave one: an int, or a float with a whole value (``30.0``; JSON
    does not tell them apart). None for anything else, booleans included."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def check_int(
    body: dict[str, Any],
    name: str,
    lo: int,
    hi: int,
    errors: Errors,
    *,
    nullable: bool = False,
    prefix: str = "",
) -> None:
    """Check ``body[name]``, when present, is an integer in ``lo..hi`` (see :func:`as_int`) and store it
    back as an int, so ``30.0`` is kept and answered as ``30``; otherwise append one error."""
    if name not in body:
        return
    value = body[name]
    if value is None and nullable:
        return
    number = as_int(value)
    if number is None:
        errors.append(invalid(f"{name} must be an integer.", pointer=f"{prefix}/{name}"))
    elif not lo <= number <= hi:
        errors.append(
            invalid(f"{name} must be between {lo} and {hi}, got {value}.", pointer=f"{prefix}/{name}")
        )
    else:
        body[name] = number


def check_url(body: dict[str, Any], name: str, errors: Errors, *, allow_empty: bool) -> None:
    if name not in body:
        return
    value = body[name]
    if value is None or (allow_empty and value == ""):
        return
    if not isinstance(value, str):
        errors.append(invalid(f"{name} must be a string.", pointer=f"/{name}"))
        return
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        errors.append(invalid(f"{name} must be a URL with a scheme, such as 'https'.", pointer=f"/{name}"))


def check_bool(body: dict[str, Any], name: str, errors: Errors) -> None:
    if name in body and not isinstance(body[name], bool):
        errors.append(invalid(f"{name} must be a boolean.", pointer=f"/{name}"))


def check_object(body: object) -> Errors:
    if not isinstance(body, dict):
        return [invalid("The request body must be a JSON object.", pointer="/")]
    return []


ROOM_FIELDS = (
    "unique_name",
    "max_participants",
    "enable_recording",
    "webhook_event_url",
    "webhook_event_failover_url",
    "webhook_timeout_secs",
)


def validate_room(body: dict[str, Any]) -> tuple[dict[str, Any], Errors]:
    errors: Errors = []
    if "unique_name" in body and body["unique_name"] is not None and not isinstance(body["unique_name"], str):
        errors.append(invalid("unique_name must be a string.", pointer="/unique_name"))
    check_int(body, "max_participants", 2, 50, errors)
    check_bool(body, "enable_recording", errors)
    check_url(body, "webhook_event_url", errors, allow_empty=True)
    check_url(body, "webhook_event_failover_url", errors, allow_empty=True)
    check_int(body, "webhook_timeout_secs", 0, 30, errors, nullable=True)
    return {k: body[k] for k in ROOM_FIELDS if k in body}, errors


def validate_token_request(body: dict[str, Any], *, refresh: bool) -> Errors:
    errors: Errors = []
    check_int(body, "token_ttl_secs", 10, 3600, errors)
    if refresh:
        token = body.get("refresh_token")
        if token is None:
            errors.append(
                error(
                    MISSING,
                    "Missing required parameter",
                    "refresh_token is required.",
                    pointer="/refresh_token",
                )
            )
        elif not isinstance(token, str) or not token:
            errors.append(invalid("refresh_token must be a string.", pointer="/refresh_token"))
    else:
        check_int(body, "refresh_token_ttl_secs", 60, 86400, errors)
    return errors


def validate_participant_action(body: dict[str, Any]) -> tuple[str | list[str], list[str], Errors]:
    """Return (participants: "all" | ids, exclude ids, errors)."""
    errors: Errors = []
    participants = body.get("participants")
    selected: str | list[str] = []
    if participants is None:
        errors.append(
            error(MISSING, "Missing required parameter", "participants is required.", pointer="/participants")
        )
    elif participants == "all":
        selected = "all"
    elif isinstance(participants, list):
        for i, pid in enumerate(participants):
            if not is_uuid(pid):
                errors.append(invalid("must be a participant id (uuid).", pointer=f"/participants/{i}"))
        selected = [p for p in participants if isinstance(p, str)]
    else:
        errors.append(invalid('participants must be "all" or a list of ids.', pointer="/participants"))
    exclude = body.get("exclude", [])
    excluded: list[str] = []
    if exclude is None:
        exclude = []
    if not isinstance(exclude, list):
        errors.append(invalid("exclude must be a list of participant ids.", pointer="/exclude"))
    else:
        for i, pid in enumerate(exclude):
            if not is_uuid(pid):
                errors.append(invalid("must be a participant id (uuid).", pointer=f"/exclude/{i}"))
        excluded = [p for p in exclude if isinstance(p, str)]
    return selected, excluded, errors


REGION_INT_LIMITS = {
    "height": (16, 100_000),
    "width": (16, 100_000),
    "max_columns": (1, 1000),
    "max_rows": (1, 1000),
    "x_pos": (-100_000, 100_000),
    "y_pos": (-100_000, 100_000),
    "z_pos": (-99, 99),
}


def parse_resolution(value: object) -> tuple[int, int] | None:
    if not isinstance(value, str):
        return None
    match = RESOLUTION_RE.match(value)
    if not match:
        return None
    width, height = int(match.group(1)), int(match.group(2))
    if not (16 <= width <= 1280 and 16 <= height <= 1280) or width * height > MAX_PIXELS:
        return None
    return width, height


def validate_composition(body: dict[str, Any]) -> Errors:
    errors: Errors = []
    session_id = body.get("session_id")
    if session_id is None:
        errors.append(
            error(MISSING, "Missing required parameter", "session_id is required.", pointer="/session_id")
        )
    elif not is_uuid(session_id):
        errors.append(invalid("session_id must be a uuid.", pointer="/session_id"))
    if "format" in body and body["format"] != "mp4":
        errors.append(invalid("format must be one of: mp4.", pointer="/format"))
    if "resolution" in body and parse_resolution(body["resolution"]) is None:
        errors.append(
            invalid(
                "resolution must be WIDTHxHEIGHT with both between 16 and 1280 and width*height at most "
                "1280*720.",
                pointer="/resolution",
            )
        )
    layout = body.get("video_layout")
    if layout is not None:
        if not isinstance(layout, dict):
            errors.append(invalid("video_layout must be an object of regions.", pointer="/video_layout"))
        elif len(layout) > 2:
            errors.append(invalid("video_layout is limited to 2 regions.", pointer="/video_layout"))
        else:
            for name, region in layout.items():
                prefix = f"/video_layout/{name}"
                if not isinstance(region, dict):
                    errors.append(invalid("a region must be an object.", pointer=prefix))
                    continue
                for field, (lo, hi) in REGION_INT_LIMITS.items():
                    check_int(region, field, lo, hi, errors, prefix=prefix)
                sources = region.get("video_sources")
                if sources is None or sources == "*":
                    continue
                if not isinstance(sources, list):
                    errors.append(
                        invalid(
                            'video_sources must be a list of ids or "*".', pointer=f"{prefix}/video_sources"
                        )
                    )
                    continue
                for i, source in enumerate(sources):
                    if source != "*" and not is_uuid(source):
                        errors.append(
                            invalid(
                                "must be a video recording id (uuid).", pointer=f"{prefix}/video_sources/{i}"
                            )
                        )
    check_url(body, "webhook_event_url", errors, allow_empty=True)
    check_url(body, "webhook_event_failover_url", errors, allow_empty=True)
    check_int(body, "webhook_timeout_secs", 0, 30, errors, nullable=True)
    return errors


# --- query strings ----------------------------------------


class Query:
    """A parsed query string: deepObject ``filter[...]``, ``page[...]`` and plain parameters."""

    def __init__(self, raw: str) -> None:
        self.params: dict[str, str] = {}
        for key, value in parse_qsl(raw, keep_blank_values=True):
            self.params[key] = value

    def get(self, name: str) -> str | None:
        return self.params.get(name)

    def boolean(self, name: str, errors: Errors) -> bool | None:
        value = self.params.get(name)
        if value is None:
            return None
        lowered = value.lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0"):
            return False
        errors.append(invalid(f"{name} must be true or false.", parameter=name))
        return None

    def paging(self, errors: Errors) -> tuple[int, int]:
        number = self._int("page[number]", 1, 1, None, errors)
        size = self._int("page[size]", 20, 1, 250, errors)
        return number, size

    def _int(self, name: str, default: int, lo: int, hi: int | None, errors: Errors) -> int:
        value = self.params.get(name)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            errors.append(invalid(f"{name} must be an integer.", parameter=name))
            return default
        if number < lo or (hi is not None and number > hi):
            bound = f"between {lo} and {hi}" if hi is not None else f"at least {lo}"
            errors.append(invalid(f"{name} must be {bound}, got {number}.", parameter=name))
            return default
        return number


class FilterSpec:
    """The filters one list operation accepts: date fields, equality fields, uuid fields, enums."""

    def __init__(
        self,
        *,
        dates: dict[str, str] | None = None,
        equals: dict[str, str] | None = None,
        uuids: tuple[str, ...] = (),
        enums: dict[str, tuple[str, ...]] | None = None,
        booleans: dict[str, str] | None = None,
        at_least: dict[str, str] | None = None,
    ) -> None:
        self.dates = dates or {}  # filter name -> record field, e.g. date_started_at -> started_at
        self.equals = equals or {}  # filter name -> record field
        self.uuids = uuids
        self.enums = enums or {}
        self.booleans = booleans or {}
        self.at_least = at_least or {}

    def compile(self, query: Query, errors: Errors) -> tuple[dict[str, str], list[Any]]:
        """Return (equality filters {field: value}, predicates) or append errors."""
        equal: dict[str, str] = {}
        predicates: list[Any] = []
        for name, field in self.dates.items():
            for op in ("eq", "gte", "lte"):
                param = f"filter[{name}][{op}]"
                value = query.get(param)
                if value is None:
                    continue
                day = parse_day(value)
                if day is None:
                    errors.append(invalid(f"{param} must be an ISO 8601 date (YYYY-MM-DD).", parameter=param))
                    continue
                predicates.append(_date_predicate(field, op, day))
        for name, field in self.equals.items():
            param = f"filter[{name}]"
            value = query.get(param)
            if value is None:
                continue
            if name in self.uuids and not is_uuid(value):
                errors.append(invalid(f"{param} must be a uuid.", parameter=param))
                continue
            if name in self.enums and value not in self.enums[name]:
                errors.append(
                    invalid(f"{param} must be one of: {', '.join(self.enums[name])}.", parameter=param)
                )
                continue
            equal[field] = value
        for name, field in self.booleans.items():
            param = f"filter[{name}]"
            flag = query.boolean(param, errors)
            if flag is not None:
                predicates.append(lambda r, f=field, v=flag: r.get(f) is v)
        for name, field in self.at_least.items():
            param = f"filter[{name}]"
            value = query.get(param)
            if value is None:
                continue
            try:
                bound = int(value)
            except ValueError:
                errors.append(invalid(f"{param} must be an integer.", parameter=param))
                continue
            predicates.append(lambda r, f=field, b=bound: (r.get(f) or 0) >= b)
        return equal, predicates


def _date_predicate(field: str, op: str, day: str) -> Any:
    if op == "eq":
        return lambda r: (v := r.get(field)) is not None and v[:10] == day
    if op == "gte":
        return lambda r: (v := r.get(field)) is not None and v[:10] >= day
    return lambda r: (v := r.get(field)) is not None and v[:10] <= day
