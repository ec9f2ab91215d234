"""Small formatting filters for the rooms pages, and the live console's participant rows."""

from __future__ import annotations

import html
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

from django import template
from django.conf import settings
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

if TYPE_CHECKING:
    from rooms.services import SessionDetail

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


def _clock(at: datetime | None, zone: tzinfo | None) -> str:
    """``{{ at|time:"H:i:s" }}``: the wall clock in ``zone`` (the current time zone, looked up once
    per table), empty for no time."""
    if at is None:
        return ""
    if zone is not None and at.utcoffset() is not None:
        at = at.astimezone(zone)
    return at.strftime("%H:%M:%S")


@register.simple_tag
def participant_rows(detail: SessionDetail, can_moderate: bool) -> SafeString:
    """The console's ``<tr>`` for each of ``detail.people`` (the columns of the table's head in
    ``sessions/detail.html``), written here rather than as a loop in the template: every open
    console re-reads the table every few seconds, and at 50 people the loop's variable lookups and
    filters were most of the request.

    Every value that is not literal markup (ids and contexts come from Telnyx and participants, mute
    facts name users) goes through ``_escape``: Django's ``escape`` (``html.escape``, quotes
    included) without its check for lazy strings.
    """
    selectable = can_moderate and detail.active
    zone = timezone.get_current_timezone() if settings.USE_TZ else None
    rows = []
    for p in detail.people:
        present_ids = p.present_ids
        label = _escape(p.label)
        if not selectable:
            select = actions = ""
        elif present_ids:
            select = (
                '<td data-label="Select"><input type="checkbox" name="selected" '
                f'value="{_escape(" ".join(present_ids))}" aria-label="Select {label}"></td>'
            )
            actions = _ROW_MENU
        else:
            select, actions = '<td data-label="Select"></td>', '<td class="row-actions"></td>'
        joins = len(p.rows)
        again = f" <small>joined {joins}×</small>" if joins > 1 else ""
        mute = "unknown" if p.mute is None else _escape(p.mute)
        status = "Present" if present_ids else f"Left {_clock(p.latest.left_at, zone)}"
        rows.append(
            f'<tr id="participant-{_escape(p.rows[0].participant.id)}"{"" if present_ids else _GONE}'
            f' data-name="{label}">{select}'
            f'<td class="primary-cell" data-label="Participant">{label}{again}</td>'
            f'<td data-label="Joined">{_clock(p.first_joined_at, zone)}</td>'
            f'<td class="num" data-label="Time in room">{duration_secs(p.seconds_present)}</td>'
            f'<td data-label="Mute">{mute}</td><td data-label="Status">{status}</td>{actions}</tr>'
        )
    return mark_safe("\n".join(rows))  # noqa: S308 - literal markup around escaped values


def _escape(value: object) -> str:
    return html.escape(str(value))


_GONE = ' class="gone"'
_ROW_MENU = (
    '<td class="row-actions"><button type="button" class="small" data-row-menu aria-haspopup="menu">'
    "Actions</button></td>"
)
