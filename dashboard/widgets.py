"""Form widgets shared by the filters of several pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe


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


class PlainSelect(forms.Select):
    """A ``<select>`` of flat choices, the HTML Django's ``Select`` writes, built without a
    template per option: a filter offering hundreds of rooms spent more rendering them than the
    rest of its page's form did."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        chosen = set(self.format_value(value))
        options = []
        for option_value, label in self.choices:
            selected = str(option_value) in chosen
            chosen.discard(str(option_value))  # as Django's: only the first match is selected
            options.append(
                format_html(
                    '<option value="{}"{}>{}</option>', option_value, " selected" if selected else "", label
                )
            )
        return format_html(
            '<select name="{}"{}>\n  {}\n</select>',
            name,
            flatatt(self.build_attrs(self.attrs, attrs)),
            mark_safe("\n  ".join(options)),  # noqa: S308 - each option was escaped by format_html
        )
