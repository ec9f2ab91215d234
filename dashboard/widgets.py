"""Form widgets shared by the filters of several pages."""

from __future__ import annotations

from typing import Any

from django import forms


class DayInput(forms.DateInput):
    """A day typed as ``2026-01-31``: the format every table shows dates in.

    A text box rather than the browser's date picker, whose display follows the browser's locale
    (``01/31/2026`` in one, ``31.01.2026`` in another) and so never matched the tables.
    """

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        defaults = {
            "placeholder": "YYYY-MM-DD",
            "inputmode": "numeric",
            "pattern": r"\d{4}-\d{2}-\d{2}",
            "title": "A day as YYYY-MM-DD",
            "autocomplete": "off",
            "class": "day-input",
        }
        super().__init__(attrs={**defaults, **(attrs or {})}, format="%Y-%m-%d")
