"""Keyword-argument filters turned into Telnyx's deepObject query parameters.

Each list operation accepts exactly the filters its OpenAPI operation declares. A date filter takes
``name`` (same as ``name__eq``), ``name__gte`` or ``name__lte``; the value is a ``date``, an aware or
naive ``datetime`` (its UTC day; Telnyx filters by day, not by instant) or a ``"YYYY-MM-DD"`` string::

    date_started_at__gte=date(2026, 1, 31)  ->  filter[date_started_at][gte]=2026-01-31
    room_id="0ccc..."                        ->  filter[room_id]=0ccc...
    active=True                              ->  filter[active]=true

A filter whose value is ``None`` is left out, so optional form fields can be passed straight through.
An unknown filter name, or an operator on a non-date filter, is a ``TypeError`` (a typo must not
silently widen a bulk delete).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any, Literal

__all__ = [
    "COMPOSITION_FILTERS",
    "PARTICIPANT_FILTERS",
    "RECORDING_FILTERS",
    "ROOM_FILTERS",
    "ROOM_SESSION_FILTERS",
    "SESSION_FILTERS",
    "SESSION_PARTICIPANT_FILTERS",
    "build_filter_params",
]

Kind = Literal["date", "str", "bool", "int"]
_DATE_OPERATORS = ("eq", "gte", "lte")

#: GET /rooms
ROOM_FILTERS: Mapping[str, Kind] = {
    "date_created_at": "date",
    "date_updated_at": "date",
    "unique_name": "str",
}
#: GET /rooms/{room_id}/sessions
ROOM_SESSION_FILTERS: Mapping[str, Kind] = {
    "active": "bool",
    "date_created_at": "date",
    "date_updated_at": "date",
    "date_ended_at": "date",
}
#: GET /room_sessions
SESSION_FILTERS: Mapping[str, Kind] = {**ROOM_SESSION_FILTERS, "room_id": "str"}
#: GET /room_sessions/{room_session_id}/participants
SESSION_PARTICIPANT_FILTERS: Mapping[str, Kind] = {
    "context": "str",
    "date_joined_at": "date",
    "date_left_at": "date",
    "date_updated_at": "date",
}
#: GET /room_participants
PARTICIPANT_FILTERS: Mapping[str, Kind] = {**SESSION_PARTICIPANT_FILTERS, "session_id": "str"}
#: GET and DELETE /room_recordings
RECORDING_FILTERS: Mapping[str, Kind] = {
    "date_ended_at": "date",
    "date_started_at": "date",
    "duration_secs": "int",
    "participant_id": "str",
    "room_id": "str",
    "session_id": "str",
    "status": "str",
    "type": "str",
}
#: GET /room_compositions
COMPOSITION_FILTERS: Mapping[str, Kind] = {
    "date_created_at": "date",
    "session_id": "str",
    "status": "str",
}


def _format(name: str, kind: Kind, value: Any) -> str:
    if kind == "date":
        if isinstance(value, datetime):
            moment: datetime = value.astimezone(UTC) if value.tzinfo is not None else value
            return moment.date().isoformat()
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, str):
            try:
                return date.fromisoformat(value).isoformat()
            except ValueError:
                pass
        raise TypeError(f"filter {name!r} takes a date, a datetime or 'YYYY-MM-DD', not {value!r}")
    if kind == "bool":
        if isinstance(value, bool):
            return "true" if value else "false"
        raise TypeError(f"filter {name!r} takes True or False, not {value!r}")
    if kind == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        raise TypeError(f"filter {name!r} takes an integer, not {value!r}")
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, str):
        return value
    raise TypeError(f"filter {name!r} takes a string, not {value!r}")


def build_filter_params(
    allowed: Mapping[str, Kind], filters: Mapping[str, Any], *, operation: str
) -> dict[str, str]:
    """Query parameters for ``filters`` (keyword arguments), checked against ``allowed``."""
    params: dict[str, str] = {}
    for key, value in filters.items():
        name, _, operator = key.partition("__")
        kind = allowed.get(name)
        if kind is None:
            known = ", ".join(sorted(allowed))
            raise TypeError(f"{operation}() got an unknown filter {key!r}; it accepts: {known}")
        if operator and (kind != "date" or operator not in _DATE_OPERATORS):
            hint = "eq, gte or lte" if kind == "date" else "no operator"
            raise TypeError(f"{operation}() filter {key!r}: {name} takes {hint}")
        if value is None:
            continue
        if kind == "date":
            params[f"filter[{name}][{operator or 'eq'}]"] = _format(key, kind, value)
        else:
            params[f"filter[{name}]"] = _format(key, kind, value)
    return params
