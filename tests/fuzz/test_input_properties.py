"""Input at the edge, as an attacker would try it: no page answers any input with a 5xx.

For every route the URL resolver knows, for every role (and a signed-in user without one), hypothesis
sends GET and POST requests whose parameters are the ones the site's own pages send that route (the
fields of every form and the query of every link, found by rendering the pages) plus the pager's,
each missing, given once or given several times, with values from the page itself, ids that exist,
random ids, and hostile text: NUL and control characters, 10,000-character strings, unicode,
numbers out of range, impossible dates. Path ids are ones that exist, random ones, and a shouting
(upper-case) copy. The sandbox is healthy throughout, so a 5xx is never "Telnyx is down": it is a
defect at the edge.

Each request runs in a savepoint rolled back afterwards, so examples do not pile up rows (and a
PostgreSQL error cannot poison the examples after it); the sandbox keeps what they did to it.
"""

from __future__ import annotations

import copy
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.roles import Role
from tests.fuzz.conftest import ROLES, Site
from tests.fuzz.pages import Parameters, Route, collect, routes

pytestmark = pytest.mark.django_db

#: The pager's parameters: its links only render once a list has a second page.
PAGER_PARAMS = ("page", "sessions_page")

ROUTES = routes()
#: Receivers of Telnyx's events: no login, no form; they get the same hostile queries and bodies.
PUBLIC_POST = {"webhooks/telnyx", "webhooks/telnyx/<str:token>"}

HOSTILE_TEXT = st.one_of(
    st.text(max_size=40),  # any unicode, control characters included
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "a\x00b",
            "\r\n",
            "\x1b[31m",
            "\u202e",
            "\ufeff",
            "%00",
            "' OR 1=1 --",
            "=cmd|' /C calc'!A0",
            "../../etc/passwd",
            "<script>x</script>",
            "all",
            "😀" * 3,
        ]
    ),
    st.builds(
        operator.mul, st.sampled_from(["a", "0", "9", "\x00", "é", "-"]), st.sampled_from([256, 10_000])
    ),
)
HOSTILE_NUMBER = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(
        [
            "-1",
            "0",
            "2147483648",
            "9223372036854775808",
            "1e309",
            "NaN",
            "inf",
            "1.5",
            "0x10",
            "١٢٣",
            "9" * 5000,
        ]
    ),
)
HOSTILE_DATE = st.one_of(
    st.sampled_from(
        ["2026-13-45", "2026-02-30", "0000-00-00", "9999-12-31", "10000-01-01", "1-1-1", "2026-1-1T25:61"]
    ),
    st.dates().map(str),
)
HOSTILE = st.one_of(HOSTILE_TEXT, HOSTILE_NUMBER, HOSTILE_DATE, st.uuids().map(str))


@dataclass(frozen=True)
class Sent:
    method: str
    path: str
    query: dict[str, list[str]]
    body: dict[str, list[str]]
    htmx_target: str | None


def _values(offered: set[str], ids: dict[str, str]) -> st.SearchStrategy[str]:
    known = sorted(offered | set(ids.values()))
    return st.one_of(st.sampled_from(known), HOSTILE)


def _fields(names: dict[str, set[str]], ids: dict[str, str]) -> st.SearchStrategy[dict[str, list[str]]]:
    """Each name missing, given once, or given several times (an empty list: the name with no value)."""

    def one(offered: set[str]) -> st.SearchStrategy[list[str] | None]:
        value = _values(offered, ids)
        return st.one_of(st.none(), value.map(lambda v: [v]), st.lists(value, max_size=3))

    drawn = st.fixed_dictionaries({name: one(offered) for name, offered in sorted(names.items())})
    return drawn.map(lambda d: {k: v for k, v in d.items() if v is not None})


def _path_value(name: str, converter: str, ids: dict[str, str]) -> st.SearchStrategy[str]:
    real = ids.get(name, "1")
    if converter == "telnyx_id":
        return st.one_of(st.just(real), st.just(real.upper()), st.uuids().map(str))
    if converter == "int":
        return st.one_of(st.just(real), st.integers(min_value=0, max_value=10**30).map(str))
    # str and path segments: the real value, or text that stays in one segment (and is quoted).
    return st.one_of(st.just(real), HOSTILE_TEXT.map(lambda v: re.sub(r"[/?#%]", "_", v) or "_"))


def requests(route: Route, params: Parameters, ids: dict[str, str]) -> st.SearchStrategy[Sent]:
    from urllib.parse import quote

    get_names = {name: set() for name in PAGER_PARAMS} | params.get
    targets = sorted(params.htmx_targets) + ["no-such-target"]

    @st.composite
    def draw(draw: Any) -> Sent:
        values = {name: draw(_path_value(name, conv, ids)) for name, conv in route.params}
        path = route.path({name: quote(value, safe="") for name, value in values.items()})
        method = draw(st.sampled_from(["GET", "POST"]))
        query = draw(_fields(get_names, ids))
        body = draw(_fields(params.post or params.get, ids)) if method == "POST" else {}
        if method == "POST" and draw(st.booleans()):
            query = {}
        target = draw(st.one_of(st.none(), st.sampled_from(targets)))
        return Sent(method=method, path=path, query=query, body=body, htmx_target=target)

    return draw()


def send(client: Client, sent: Sent) -> int:
    from urllib.parse import urlencode

    headers: dict[str, str] = {}
    if sent.htmx_target is not None:
        headers = {"HX-Request": "true", "HX-Target": sent.htmx_target}
    url = sent.path + ("?" + urlencode(sent.query, doseq=True) if sent.query else "")
    if sent.method == "GET":
        response = client.get(url, headers=headers)
    else:
        response = client.post(url, sent.body, headers=headers)
    if getattr(response, "streaming", False):
        # Read to the end: errors mid-stream count too, and the client closes the response then (a
        # close() of our own would fire request_finished, which closes the test's connection).
        b"".join(response.streaming_content)  # type: ignore[attr-defined]
    return response.status_code


# --- what the pages send each route ---------------------------------------------------------------

_DISCOVERED: dict[str, Parameters] = {}


def discover(site: Site) -> dict[str, Parameters]:
    """Render every page an admin can reach (and the answers that add forms: a join token, a chosen
    session for a composition, a bulk-delete preview) and note what each form and link sends where.

    Names do not depend on the seeded ids, so one crawl serves the module.
    """
    if _DISCOVERED:
        return _DISCOVERED
    client = Client()
    client.force_login(site.users[Role.ADMIN])
    ids = site.ids
    extra = [
        (
            "post",
            f"/rooms/{ids['room_id']}/tokens/",
            {"token_ttl_secs": "600", "refresh_token_ttl_secs": "3600"},
        ),
        ("get", f"/compositions/new?session_id={ids['session_id']}", {}),
        ("get", "/recordings/bulk-delete?type=audio", {}),
    ]
    pages = [("get", r.path(ids), {}) for r in ROUTES if not r.route.endswith(("download", "logout/"))]
    with transaction.atomic():
        for method, url, data in pages + extra:
            response = client.post(url, data) if method == "post" else client.get(url)
            if response.status_code == 200 and "html" in response.get("Content-Type", ""):
                collect(url.split("?")[0], response.content.decode(), _DISCOVERED)
        transaction.set_rollback(True)
    return _DISCOVERED


def test_the_crawl_finds_the_forms_the_issue_named(site: Site) -> None:
    found = discover(site)
    assert {"room", "user", "action"} <= set(found["audit/"].get)
    assert "participants" in found["sessions/<telnyx_id:session_id>/mute"].post or "selected" in (
        found["sessions/<telnyx_id:session_id>/mute"].post
    )
    assert "selected" in found["sessions/<telnyx_id:session_id>/kick"].post  # a button's formaction
    assert {"token_ttl_secs", "refresh_token_ttl_secs"} <= set(
        found["rooms/<telnyx_id:room_id>/tokens/"].post
    )
    assert "refresh_token" in found["rooms/<telnyx_id:room_id>/tokens/refresh/"].post
    assert {"layout", "resolution", "first_sources"} <= set(found["compositions/new"].post)
    assert "confirm_count" in found["recordings/bulk-delete"].post
    assert "session_id" in found["compositions/"].get or "session_id" in found["compositions/new"].get


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _examples(route: Route, role: Role | None) -> int:
    """The profile's number for the product's pages; the Django admin (whose pages only the Admin role
    reaches; everyone else is sent to its login) gets a few, as it is Django's own code."""
    base = settings.default.max_examples
    if not route.route.startswith("admin/"):
        return base
    return max(2, base // 3) if role is Role.ADMIN else 1


def _no_server_error(
    route: Route, params: Parameters, ids: dict[str, str], user: User | None, role: Role | None
) -> Callable[[], int]:
    """The property for one route and role; calling it runs the examples and returns how many."""
    sent_count = 0
    client = _client(user) if user is not None else Client()

    @settings(max_examples=_examples(route, role))
    @given(sent=requests(route, params, ids))
    def no_server_error(sent: Sent) -> None:
        nonlocal sent_count
        sent_count += 1
        cookies = copy.deepcopy(client.cookies)  # a logout among the examples signs out only itself
        with transaction.atomic():
            status = send(client, sent)
            transaction.set_rollback(True)
        client.cookies = cookies
        assert status < 500, f"{status} for {sent}"

    def run() -> int:
        no_server_error()
        return sent_count

    return run


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value.lower() if r else "no-role")
def test_no_input_on_any_page_gets_a_server_error(site: Site, role: Role | None) -> None:
    """Every route, this role: a failing route is reported with its shrunk example, the rest still run."""
    found = discover(site)
    failures: list[str] = []
    sent_count = 0
    for route in ROUTES:
        user = None if route.route in PUBLIC_POST else site.users[role]
        check = _no_server_error(route, found.get(route.route, Parameters()), site.ids, user, role)
        try:
            sent_count += check()
        except Exception as exc:  # noqa: BLE001 - every route's failure is reported, not only the first
            example = "\n".join(getattr(exc, "__notes__", []))
            failures.append(f"{route.route or '/'}: {type(exc).__name__}: {exc}\n{example}")
    print(f"{len(ROUTES)} routes, {sent_count} requests as {role or 'no role'}")
    assert not failures, "\n\n".join(failures)
    assert sent_count >= len(ROUTES)
