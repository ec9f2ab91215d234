"""How the product writes durations, sizes, dates and times: one way everywhere.

Template filters of the same names (``dashboard/templatetags/display.py``, a builtin of every
template) and labels built in Python (a composition's sources) use these:

- ``duration``: seconds as ``45 s``, ``57 min 4 s`` or ``1 h 02 min``;
- ``size_mb``: megabytes (as Telnyx gives sizes) as ``512 KB``, ``12.3 MB`` or ``1.20 GB``;
- ``day``: a date as ``2026-01-31`` (the format the date filters take too);
- ``when``: an instant as ``2026-01-31 14:05 UTC``, in the configured ``TIME_ZONE`` with its name;
- ``clock``: an instant as ``14:05:09 UTC``;
- ``clip``: text cut to a length, ending in an ellipsis when cut (long names and ids in tables).

Unknown values (None, empty, not a number) read as an em dash.
"""

from __future__ import annotations

from datetime import date, datetime

from django.utils import timezone

UNKNOWN = "—"


def _number(value: object) -> float | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return float(value)  # type: ignore[arg-type]  # anything float() takes; the rest is unknown
    except (TypeError, ValueError):
        return None


def duration(value: object) -> str:
    """Seconds as ``45 s``, ``57 min 4 s``, ``1 h 02 min`` (seconds dropped past an hour)."""
    number = _number(value)
    if number is None:
        return UNKNOWN
    total = max(0, round(number))
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours:,} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {seconds} s" if seconds else f"{minutes} min"
    return f"{seconds} s"


def size_mb(value: object) -> str:
    """Megabytes (10^6 bytes, as Telnyx counts) as KB, MB, GB or TB with about three digits."""
    number = _number(value)
    if number is None:
        return UNKNOWN
    if number < 1:
        return f"{number * 1000:.0f} KB"
    for unit, scale in (("TB", 1_000_000), ("GB", 1000)):
        if number >= scale:
            return f"{number / scale:.2f} {unit}"
    return f"{number:.1f} MB" if number < 100 else f"{number:,.0f} MB"


def day(value: object) -> str:
    """A date (or an instant, in the configured zone) as ``2026-01-31``."""
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return value.strftime("%Y-%m-%d")
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    return UNKNOWN


def _local(value: object) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return timezone.localtime(value) if timezone.is_aware(value) else value


def when(value: object) -> str:
    """An instant as ``2026-01-31 14:05 UTC``: the configured zone, named."""
    local = _local(value)
    if local is None:
        return UNKNOWN
    return f"{local:%Y-%m-%d %H:%M} {local.tzname() or ''}".strip()


def when_seconds(value: object) -> str:
    """An instant as ``2026-01-31 14:05:09 UTC``."""
    local = _local(value)
    if local is None:
        return UNKNOWN
    return f"{local:%Y-%m-%d %H:%M:%S} {local.tzname() or ''}".strip()


def clock(value: object) -> str:
    """The time of an instant as ``14:05:09 UTC``."""
    local = _local(value)
    if local is None:
        return UNKNOWN
    return f"{local:%H:%M:%S} {local.tzname() or ''}".strip()


def iso(value: object) -> str:
    """An instant in ISO 8601 (for ``<time datetime>``), empty when unknown."""
    return value.isoformat() if isinstance(value, datetime | date) else ""


def clip(value: object, length: int) -> str:
    """``value`` in at most ``length`` characters, the last an ellipsis when it was cut: what
    Django's ``truncatechars`` writes for text, without its walk over every character (a table of
    50 recordings clips 100 names and ids)."""
    text = "" if value is None else str(value)
    if len(text) <= length:
        return text
    return text[: max(length - 1, 0)] + "…"
