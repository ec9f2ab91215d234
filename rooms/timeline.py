"""The geometry of a session's timeline, drawn as SVG by ``sessions/detail.html#timeline``.

One lane per person (everyone who joined under the same context): a bar per join, from join to
leave (or to now, while present). Each moderation action taken through the dashboard is a mark: on
the lanes it named, or a line across every lane for an action on "all". Marks close together keep
their line at the true time and move their letter aside so each stays readable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.utils import timezone

from audit.models import AuditEntry
from rooms.services import ParticipantRow, SessionDetail

LABEL_WIDTH = 170
PLOT_WIDTH = 760
ROW_HEIGHT = 24
TOP = 28
BOTTOM = 26

_KINDS: dict[str, tuple[str, str]] = {
    AuditEntry.Action.MUTE: ("mute", "M"),
    AuditEntry.Action.UNMUTE: ("unmute", "U"),
    AuditEntry.Action.KICK: ("kick", "K"),
    AuditEntry.Action.END: ("end", "E"),
}


@dataclass(slots=True)
class Bar:
    label: str
    y: float
    x: float
    width: float
    present: bool
    title: str


@dataclass(slots=True)
class Lane:
    label: str
    y: float


@dataclass(slots=True)
class Mark:
    x: float
    cx: float  # where its letter sits: ``x``, or moved right of a neighbour it would cover
    y1: float
    y2: float
    kind: str
    letter: str
    title: str
    failed: bool


@dataclass(slots=True)
class Tick:
    x: float
    label: str


@dataclass(slots=True)
class Timeline:
    width: int
    height: int
    plot_left: int
    plot_right: int
    axis_y: float
    lanes: list[Lane] = field(default_factory=list)
    bars: list[Bar] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)


#: Closest two mark letters may sit (their circles have a radius of 6).
MARK_SPACING = 14.0


def _lanes(detail: SessionDetail) -> list[tuple[str, list[ParticipantRow]]]:
    """(label, that person's joins in order), people in order of their first join."""
    far = datetime.max.replace(tzinfo=UTC)
    people: dict[str, list[ParticipantRow]] = {}
    for row in sorted(detail.rows, key=lambda r: r.participant.joined_at or far):
        people.setdefault(row.participant.context or row.participant.id, []).append(row)
    return [(rows[0].participant.context or rows[0].participant.id[:8], rows) for rows in people.values()]


def build_timeline(
    detail: SessionDetail, actions: Sequence[AuditEntry], *, now: datetime | None = None
) -> Timeline:
    now = now or timezone.now()
    session = detail.session
    lanes = _lanes(detail)
    start = session.created_at or min((r.participant.joined_at or now for r in detail.rows), default=now)
    end = session.ended_at or now
    span = max((end - start).total_seconds(), 1.0)

    def x_of(at: datetime | None) -> float:
        if at is None:
            return LABEL_WIDTH + PLOT_WIDTH
        offset = min(max((at - start).total_seconds(), 0.0), span)
        return round(LABEL_WIDTH + PLOT_WIDTH * offset / span, 1)

    height = TOP + ROW_HEIGHT * max(len(lanes), 1) + BOTTOM
    timeline = Timeline(
        width=LABEL_WIDTH + PLOT_WIDTH + 10,
        height=height,
        plot_left=LABEL_WIDTH,
        plot_right=LABEL_WIDTH + PLOT_WIDTH,
        axis_y=height - BOTTOM + 4,
    )
    lane_of: dict[str, float] = {}
    for index, (label, rows) in enumerate(lanes):
        y = float(TOP + index * ROW_HEIGHT)
        timeline.lanes.append(Lane(label=label if len(label) <= 22 else label[:21] + "…", y=y))
        for number, row in enumerate(rows, start=1):
            p = row.participant
            lane_of[p.id] = y
            x1 = x_of(p.joined_at)
            x2 = x_of(p.left_at or end)
            joined = f"join {number} of {len(rows)}, " if len(rows) > 1 else ""
            timeline.bars.append(
                Bar(
                    label=label,
                    y=y,
                    x=x1,
                    width=max(x2 - x1, 2.0),
                    present=row.present,
                    title=f"{label}: {joined}{row.seconds_present} s present",
                )
            )
    for entry in actions:
        kind, letter = _KINDS.get(entry.action, ("other", "?"))
        x = x_of(entry.created_at)
        target = entry.target or {}
        chosen = target.get("participants")
        title = f"{timezone.localtime(entry.created_at):%H:%M:%S} {entry.username}: {entry.message}"
        failed = not entry.succeeded
        if chosen == "all" or entry.action == AuditEntry.Action.END:
            timeline.marks.append(Mark(x, x, TOP - 6, height - BOTTOM, kind, letter, title, failed))
            continue
        for y in sorted({lane_of[pid] for pid in chosen or [] if pid in lane_of}):
            timeline.marks.append(Mark(x, x, y, y + ROW_HEIGHT - 6, kind, letter, title, failed))
    _spread(timeline.marks, right=float(LABEL_WIDTH + PLOT_WIDTH + 6))
    for i in range(5):
        at = start + (end - start) * (i / 4)
        label = timezone.localtime(at).strftime("%H:%M:%S")
        timeline.ticks.append(Tick(x=round(LABEL_WIDTH + PLOT_WIDTH * i / 4, 1), label=label))
    return timeline


def _spread(marks: list[Mark], *, right: float) -> None:
    """Move letters that would overlap on the same height apart, keeping their order in time; a
    run that would leave the plot is pushed back left."""
    by_height: dict[float, list[Mark]] = {}
    for mark in marks:
        by_height.setdefault(mark.y1, []).append(mark)
    for row in by_height.values():
        row.sort(key=lambda m: m.x)
        for before, mark in zip(row, row[1:], strict=False):
            mark.cx = round(max(mark.x, before.cx + MARK_SPACING), 1)
        overflow: float = row[-1].cx - right if row else 0.0
        if overflow > 0:
            for mark in row:
                mark.cx = round(mark.cx - overflow, 1)
