"""Composition layouts: the ``video_layout`` payload Telnyx takes, and the drawing of one.

A layout maps region names to regions: a rectangle on the canvas (``x_pos``, ``y_pos``, ``width``,
``height``), its stacking (``z_pos``), an optional grid (``max_columns``, ``max_rows``) and the
recording ids it shows (``video_sources``; ``["*"]`` is every video recording of the session).
The form checks what a person typed; these functions only build and draw.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Region = dict[str, Any]
VideoLayout = dict[str, Region]

#: Every video recording of the session.
ALL_SOURCES = "*"

_COLOURS = ("#0b6bcb", "#00a37a", "#c2410c")


def region(
    *,
    x_pos: int = 0,
    y_pos: int = 0,
    z_pos: int = 0,
    width: int,
    height: int,
    sources: Sequence[str],
    max_columns: int | None = None,
    max_rows: int | None = None,
) -> Region:
    """One region as Telnyx takes it; grid sizes only when given, and ``*`` among the sources
    stands for all of them."""
    built: Region = {"x_pos": x_pos, "y_pos": y_pos, "z_pos": z_pos, "width": width, "height": height}
    if max_columns is not None:
        built["max_columns"] = max_columns
    if max_rows is not None:
        built["max_rows"] = max_rows
    built["video_sources"] = [ALL_SOURCES] if ALL_SOURCES in sources else list(sources)
    return built


def grid(*, width: int, height: int) -> VideoLayout:
    """Every video recording, in one grid filling the canvas."""
    return {"grid": region(width=width, height=height, sources=[ALL_SOURCES])}


def single_speaker(*, width: int, height: int, source: str) -> VideoLayout:
    """One recording filling the canvas."""
    return {"speaker": region(width=width, height=height, sources=[source])}


def side_by_side(*, width: int, height: int, left: str, right: str) -> VideoLayout:
    """Two recordings, each filling half of the canvas (the right half takes an odd pixel)."""
    half = width // 2
    return {
        "left": region(width=half, height=height, sources=[left]),
        "right": region(x_pos=half, width=width - half, height=height, sources=[right]),
    }


def preview(layout: VideoLayout, *, width: int, height: int, names: dict[str, str]) -> dict[str, Any]:
    """The layout drawn to scale (an SVG in the template): regions bottom to top, each with a colour,
    the names of what it shows (``names`` maps a recording id to its label) and its grid."""
    regions = []
    ordered = sorted(layout.items(), key=lambda item: item[1].get("z_pos", 0))
    for i, (name, shown) in enumerate(ordered):
        sources = shown.get("video_sources") or []
        label = (
            "all video"
            if sources == [ALL_SOURCES]
            else ", ".join(names.get(s, s[:8]).split(" · ")[0] for s in sources)
        )
        regions.append(
            {
                "name": name,
                "x": shown.get("x_pos", 0),
                "y": shown.get("y_pos", 0),
                "w": shown.get("width", width),
                "h": shown.get("height", height),
                "colour": _COLOURS[i % len(_COLOURS)],
                "swatch": "abc"[i % len(_COLOURS)],  # the legend's colour class (no inline style)
                "label": label,
                "grid": f"{shown.get('max_columns', 'auto')}×{shown.get('max_rows', 'auto')}",
            }
        )
    return {
        "width": width,
        "height": height,
        "regions": regions,
        "overlaps": overlapping_regions(layout),
    }


def overlapping_regions(layout: VideoLayout) -> list[tuple[str, str]]:
    """Pairs of region names whose rectangles overlap (the one with the higher ``z_pos`` hides part
    of the other): worth a warning, since Telnyx composes them without complaint."""
    boxes = [
        (
            name,
            shown.get("x_pos", 0),
            shown.get("y_pos", 0),
            shown.get("x_pos", 0) + shown.get("width", 0),
            shown.get("y_pos", 0) + shown.get("height", 0),
        )
        for name, shown in layout.items()
    ]
    pairs = []
    for i, (a, ax0, ay0, ax1, ay1) in enumerate(boxes):
        for b, bx0, by0, bx1, by1 in boxes[i + 1 :]:
            if ax0 < bx1 and bx0 < ax1 and ay0 < by1 and by0 < ay1:
                pairs.append((a, b))
    return pairs


def parse_resolution(resolution: str, *, default: tuple[int, int] = (1280, 720)) -> tuple[int, int]:
    """``"1280x720"`` as (1280, 720); the default for anything else."""
    width, _, height = (resolution or "").lower().partition("x")
    try:
        parsed = int(width), int(height)
    except ValueError:
        return default
    return parsed if parsed[0] > 0 and parsed[1] > 0 else default
