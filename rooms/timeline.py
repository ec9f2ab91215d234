"""The geometry of a session's timeline, drawn as SVG by ``sessions/detail.html#timeline``.

Each participant is a bar from join to leave (or to now, while present); each moderation action
taken through the dashboard is a mark: on the rows it named, or a line across every row for an
action on "all".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from audit.models import AuditEntry
from rooms.services import SessionDetail

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
class Mark:
    x: float
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
    bars: list[Bar] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)


def build_timeline(
    detail: SessionDetail, actions: Sequence[AuditEntry], *, now: datetime | None = None
) -> Timeline:
    now = now or timezone.now()
    session = detail.session
    rows = sorted(detail.rows, key=lambda r: r.participant.joined_at or now)
    start = session.created_at or min((r.participant.joined_at or now for r in rows), default=now)
    end = session.ended_at or now
    span = max((end - start).total_seconds(), 1.0)

    def x_of(at: datetime | None) -> float:
        if at is None:
            return LABEL_WIDTH + PLOT_WIDTH
        offset = min(max((at - start).total_seconds(), 0.0), span)
        return round(LABEL_WIDTH + PLOT_WIDTH * offset / span, 1)

    height = TOP + ROW_HEIGHT * max(len(rows), 1) + BOTTOM
    timeline = Timeline(
        width=LABEL_WIDTH + PLOT_WIDTH + 10,
        height=height,
        plot_left=LABEL_WIDTH,
        plot_right=LABEL_WIDTH + PLOT_WIDTH,
        axis_y=height - BOTTOM + 4,
    )
    row_y: dict[str, float] = {}
    for index, row in enumerate(rows):
        p = row.participant
        y = TOP + index * ROW_HEIGHT
        row_y[p.id] = y
        x1 = x_of(p.joined_at)
        x2 = x_of(p.left_at or end)
        label = p.context or p.id[:8]
        timeline.bars.append(
            Bar(
                label=label if len(label) <= 22 else label[:21] + "…",
                y=y,
                x=x1,
                width=max(x2 - x1, 2.0),
                present=row.present,
                title=f"{label}: {row.seconds_present} s present",
            )
        )
    for entry in actions:
        kind, letter = _KINDS.get(entry.action, ("other", "?"))
        x = x_of(entry.created_at)
        target = entry.target or {}
        chosen = target.get("participants")
        title = f"{entry.created_at:%H:%M:%S} {entry.username}: {entry.message}"
        if chosen == "all" or entry.action == AuditEntry.Action.END:
            timeline.marks.append(
                Mark(
                    x=x,
                    y1=TOP - 6,
                    y2=height - BOTTOM,
                    kind=kind,
                    letter=letter,
                    title=title,
                    failed=not entry.succeeded,
                )
            )
            continue
        for pid in chosen or []:
            if pid in row_y:
                lane = row_y[pid]
                timeline.marks.append(
                    Mark(
                        x=x,
                        y1=lane,
                        y2=lane + ROW_HEIGHT - 6,
                        kind=kind,
                        letter=letter,
                        title=title,
                        failed=not entry.succeeded,
                    )
                )
    for i in range(5):
        at = start + (end - start) * (i / 4)
        label = timezone.localtime(at).strftime("%H:%M:%S")
        timeline.ticks.append(Tick(x=round(LABEL_WIDTH + PLOT_WIDTH * i / 4, 1), label=label))
    return timeline
