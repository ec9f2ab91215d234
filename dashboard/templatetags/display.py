"""The template filters of ``dashboard.display`` (a builtin of every template: no ``{% load %}``)."""

from __future__ import annotations

from django import template

from dashboard import display

register = template.Library()

for _name in ("duration", "size_mb", "day", "when", "when_seconds", "clock", "iso", "clip"):
    register.filter(_name, getattr(display, _name))
