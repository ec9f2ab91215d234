"""Shared form widgets write what Django's own would."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django import forms

from dashboard.widgets import PlainSelect

CHOICES = [("", "Any room"), ("a&b", "Room <1>"), ("x", "x"), (3, "three")]


def parsed(html: str) -> list[tuple[str, object]]:
    """Tags with their attributes (in any order) and text, whitespace between tags left out."""
    parts: list[tuple[str, object]] = []

    class Parser(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            parts.append((tag, sorted(attrs, key=lambda a: a[0])))

        def handle_endtag(self, tag: str) -> None:
            parts.append(("/" + tag, None))

        def handle_data(self, data: str) -> None:
            if data.strip():
                parts.append(("text", data))

    Parser().feed(html)
    return parts


@pytest.mark.parametrize("value", [None, "", "a&b", "3", "not-a-choice"])
def test_plain_select_writes_what_select_does(value: str | None) -> None:
    class Plain(forms.Form):
        room = forms.ChoiceField(required=False, choices=CHOICES)

    class Fast(forms.Form):
        room = forms.ChoiceField(required=False, choices=CHOICES, widget=PlainSelect)

    data = None if value is None else {"room": value}
    assert parsed(str(Fast(data)["room"])) == parsed(str(Plain(data)["room"]))
