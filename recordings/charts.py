"""Chart geometry for the recordings page: numbers in, shapes out (the template draws the SVG)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dashboard import display


def storage_bars(days: Sequence[dict[str, Any]], *, width: int = 600, height: int = 140) -> dict[str, Any]:
    """Bars of storage per day (``day``, ``size_mb``, ``count`` each), scaled to the tallest, with
    20 px of headroom, each with its tooltip; ``peak_mb`` is 0 when every day is empty."""
    peak = max((d["size_mb"] for d in days), default=0) or 1
    slot = width / max(len(days), 1)
    bars = []
    for i, day in enumerate(days):
        bar_height = round(day["size_mb"] / peak * (height - 20), 1)
        bars.append(
            {
                "x": round(i * slot + 1, 1),
                "y": round(height - bar_height, 1),
                "w": round(slot - 2, 1),
                "h": bar_height,
                "day": day["day"],
                "size_mb": day["size_mb"],
                "count": day["count"],
                "title": f"{display.day(day['day'])}: {display.size_mb(day['size_mb'])} in {day['count']} "
                + ("recording" if day["count"] == 1 else "recordings"),
            }
        )
    return {"bars": bars, "width": width, "height": height, "peak_mb": peak if peak != 1 else 0}
