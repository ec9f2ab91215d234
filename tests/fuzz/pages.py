"""What the input property tests know of the site: its routes (from the URL resolver) and, for each,
the parameters its pages ask for (from the forms and links the pages render).

Nothing here is written by hand per page: a new page, form field or filter link is fuzzed as soon as
some page renders it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404

#: A value for a path parameter the seeded site has no object for (a page may then answer 404).
_UNSEEDED = {
    "int": "1",
    "telnyx_id": "00000000-0000-4000-8000-000000000001",
    "str": "sample",
    "uuid": "00000000-0000-4000-8000-000000000001",
    "slug": "sample",
    "path": "sample",
}

#: ``<converter:name>`` in a route.
_PARAM = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")


def _walk(patterns: list[URLPattern | URLResolver], prefix: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


@dataclass(frozen=True)
class Route:
    """One URL pattern: its text as the resolver reports it and the parameters its path holds."""

    route: str
    params: tuple[tuple[str, str], ...]  # (name, converter)

    def path(self, values: dict[str, str]) -> str:
        """The concrete path with ``values`` (already URL-safe) in place of the parameters; a name
        the site was not seeded with gets a well-formed value of its converter's kind."""
        return "/" + _PARAM.sub(
            lambda m: values.get(m.group("name")) or _UNSEEDED[m.group("converter") or "str"], self.route
        )


def routes() -> list[Route]:
    """Every route of the site whose path can be written down (the admin's few regexes cannot)."""
    found: dict[str, Route] = {}
    for route in _walk(get_resolver().url_patterns):
        if any(ch in route for ch in "^$()[]?*+|"):
            continue  # the admin's catch-all and app-index regexes
        params = tuple((m.group("name"), m.group("converter") or "str") for m in _PARAM.finditer(route))
        found[route] = Route(route=route, params=params)
    return sorted(found.values(), key=lambda r: r.route)


def route_of(path: str) -> str | None:
    """The route (as ``routes()`` names it) that serves ``path``, or None if nothing does."""
    try:
        return resolve(urlsplit(path).path).route
    except Resolver404:
        return None


@dataclass
class Parameters:
    """What a route's pages were seen to send it: names and the values the page itself offered."""

    get: dict[str, set[str]] = field(default_factory=dict)
    post: dict[str, set[str]] = field(default_factory=dict)
    htmx_targets: set[str] = field(default_factory=set)

    def add(self, method: str, name: str, value: str | None) -> None:
        values = (self.post if method == "post" else self.get).setdefault(name, set())
        if value:
            values.add(value)


class _PageParser(HTMLParser):
    """Collects forms (with their fields and submit buttons) and same-site links of one page."""

    def __init__(self, page_path: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_path = page_path
        self.forms: list[
            tuple[str, str, list[tuple[str, str | None]], str]
        ] = []  # action, method, fields, hx
        self.links: list[str] = []
        self.button_actions: list[tuple[int, str]] = []  # (form index, formaction)
        self.htmx: list[tuple[str, str]] = []  # (url, target id)
        self._form: int | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        target = (a.get("hx-target") or "").lstrip("#")
        for verb in ("hx-get", "hx-post"):
            if a.get(verb) and target:
                self.htmx.append((a[verb] or "", target))
        if tag == "form":
            action = a.get("action") or self.page_path
            self.forms.append((action, (a.get("method") or "get").lower(), [], target))
            self._form = len(self.forms) - 1
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"] or "")
        elif tag in ("input", "select", "textarea", "button") and self._form is not None and a.get("name"):
            value = a.get("value")
            self.forms[self._form][2].append((a["name"] or "", value))
        elif tag == "option" and self._form is not None:
            fields = self.forms[self._form][2]
            if fields and a.get("value") is not None:
                fields.append((fields[-1][0], a.get("value")))
        if tag == "button" and self._form is not None and a.get("formaction"):
            self.button_actions.append((self._form, a["formaction"] or ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None


def collect(page_path: str, html: str, into: dict[str, Parameters]) -> None:
    """Add what the page at ``page_path`` sends to each route (by route text) to ``into``."""
    parser = _PageParser(page_path)
    parser.feed(html)
    forms = list(parser.forms)
    for index, action in parser.button_actions:
        _, method, fields, target = parser.forms[index]
        forms.append((action, method, fields, target))
    for action, method, fields, target in forms:
        route = route_of(action)
        if route is None:
            continue
        params = into.setdefault(route, Parameters())
        for name, value in fields:
            params.add(method, name, value)
        for name, value in parse_qsl(urlsplit(action).query, keep_blank_values=True):
            params.add("get", name, value)
        if target:
            params.htmx_targets.add(target)
    for href in parser.links:
        parts = urlsplit(href)
        if parts.netloc or not (parts.path or parts.query):
            continue
        route = route_of(parts.path or page_path)
        if route is None:
            continue
        params = into.setdefault(route, Parameters())
        for name, value in parse_qsl(parts.query, keep_blank_values=True):
            params.add("get", name, value)
    for url, target in parser.htmx:
        route = route_of(url)
        if route is not None:
            into.setdefault(route, Parameters()).htmx_targets.add(target)
