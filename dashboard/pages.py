"""What every page view reads from its request: the page number, the query to keep in links, and
the template (or named partial) an HTMX request's target asks for."""

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxRequest(HttpRequest):
    """A request as django-htmx's middleware leaves it: ``htmx`` is falsy unless HTMX sent it."""

    htmx: HtmxDetails


def page_number(request: HttpRequest, name: str = "page") -> int:
    """The 1-based page asked for; anything that is not a positive number is page 1."""
    try:
        return max(1, int(request.GET.get(name, "1")))
    except ValueError:
        return 1


def query_without(request: HttpRequest, *names: str) -> str:
    """The request's query string without ``names`` (for links that set them anew)."""
    params = request.GET.copy()
    for name in names:
        params.pop(name, None)
    return params.urlencode()


def partial_for(request: HtmxRequest, template: str, partials: dict[str, str], default: str = "") -> str:
    """The template for this request: an HTMX request whose target is a key of ``partials`` gets
    that named partial (``default`` for other HTMX targets, when given), anything else the page."""
    if request.htmx:
        target = request.htmx.target or ""
        if target in partials:
            return f"{template}#{partials[target]}"
        if default:
            return f"{template}#{default}"
    return template
