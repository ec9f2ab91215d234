"""Every page needs a login, except the login page itself, /healthz and the Telnyx webhook receivers
(whose credential is the signature or the secret URL, and which answer POST only)."""

import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

SAMPLE_ID = str(uuid.uuid4())

WEBHOOK_RECEIVERS = {"/webhooks/telnyx", "/webhooks/telnyx/sample"}
# Share links: the unguessable token in the URL is the credential (governance/shares.py).
SHARE_PAGES = {"/share/sample/", "/share/sample/bundle", f"/share/sample/file/{SAMPLE_ID}"}
PUBLIC = {"/accounts/login/", "/admin/login/", "/healthz", "/favicon.ico", *WEBHOOK_RECEIVERS, *SHARE_PAGES}
SAMPLE_VALUE = {
    "int": "1",
    "uuid": str(uuid.uuid4()),
    "telnyx_id": SAMPLE_ID,
    "path": "x/y",
    "slug": "sample",
    "str": "sample",
}


def _walk(patterns, prefix=""):  # type: ignore[no-untyped-def]
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


def _sample_url(route: str) -> str | None:
    """A concrete URL for a route; regex routes (Django admin's) get a best-effort fill."""
    import re

    url = re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLE_VALUE.get(m.group(1) or "str", "sample"), route)
    if url.startswith("^") or "(?P" in url:
        url = re.sub(r"\(\?P<\w+>[^)]*\)", "1", url).strip("^$").replace("\\", "")
        if any(ch in url for ch in "()[]?*+|"):
            return None
    return "/" + url


ROUTES = sorted({u for u in (_sample_url(r) for r in _walk(get_resolver().url_patterns)) if u})


def test_the_walk_found_the_project_pages():
    assert "/" in ROUTES and "/healthz" in ROUTES and len(ROUTES) > 10


@pytest.mark.django_db
@pytest.mark.parametrize("url", [u for u in ROUTES if u not in PUBLIC])
def test_anonymous_requests_are_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302, f"{url} answered {response.status_code}"
    # The admin site's own pages may use its own login form; everything else uses ours.
    logins = ("/accounts/login/", "/admin/login/") if url.startswith("/admin/") else ("/accounts/login/",)
    assert response["Location"].startswith(logins), response["Location"]


@pytest.mark.django_db
@pytest.mark.parametrize("url", sorted(WEBHOOK_RECEIVERS))
def test_webhook_receivers_answer_anonymous_gets_with_405(client, url):
    assert client.get(url).status_code == 405


@pytest.mark.django_db
def test_anonymous_posts_are_refused_too(client):
    response = client.post("/", {})
    assert response.status_code in (302, 403, 405)


@pytest.mark.django_db
def test_login_page_is_public_and_styled(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "css/dashboard.css" in body and 'name="password"' in body


@pytest.mark.django_db
def test_signing_in_lands_on_the_overview(client, viewer_user):
    from tests.conftest import PASSWORD

    response = client.post("/accounts/login/", {"username": viewer_user.username, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"


@pytest.mark.django_db
def test_a_wrong_password_is_explained_on_the_form(client, viewer_user):
    response = client.post("/accounts/login/", {"username": viewer_user.username, "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("url", sorted(SHARE_PAGES))
def test_share_pages_answer_an_unknown_token_with_404_not_a_login(client, url):
    assert url in ROUTES
    response = client.get(url)
    assert response.status_code == 404
