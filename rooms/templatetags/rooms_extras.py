"""Small formatting filters for the rooms pages."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def duration_secs(value: object) -> str:
    """Seconds as ``1:02:03`` or ``2:03``."""
    try:
        total = max(0, int(value))  # type: ignore[call-overload]  # any value int() takes; the rest is caught
    except (TypeError, ValueError):
        return ""
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


@register.filter
def megabytes(value: object) -> str:
    """Megabytes as a readable size."""
    try:
        mb = float(value)  # type: ignore[arg-type]  # any value float() takes; the rest is caught
    except (TypeError, ValueError):
        return "—"
    if mb >= 1024 * 1024:
        return f"{mb / 1024 / 1024:.1f} TB"
    if mb >= 1024:
        return f"{mb / 1024:.1f} GB"
    return f"{mb:.1f} MB"
