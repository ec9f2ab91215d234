"""Timestamps as Telnyx writes them: ISO 8601, UTC, microseconds and a ``Z``."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime


def now() -> float:
    return time.time()


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="microseconds")[:-6] + "Z"


def parse_day(value: str) -> str | None:
    """Return ``value`` if it is an ISO 8601 day (``2026-01-31``), else None."""
    try:
        return date.fromisoformat(value).isoformat() if len(value) == 10 else None
    except ValueError:
        return None
