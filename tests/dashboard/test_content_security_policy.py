"""Every response carries a strict Content-Security-Policy, and no template needs inline code or styles."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.dashboard.test_login_required import ROUTES

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"

EXPECTED_DIRECTIVES = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

# What CSP without 'unsafe-inline' blocks, as it appears in template source.
INLINE = {
    "style attribute": re.compile(r"""\sstyle\s*=""", re.IGNORECASE),
    "<style> block": re.compile(r"<style[\s>]", re.IGNORECASE),
    "on… handler": re.compile(r"""\son[a-z]+\s*=\s*["']""", re.IGNORECASE),
    "hx-on attribute": re.compile(r"\s(?:data-)?hx-on", re.IGNORECASE),
    "inline <script>": re.compile(r"<script\b(?![^>]*\ssrc=)[^>]*>", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
}


def _directives(header: str) -> dict[str, str]:
    parts = (part.strip().split(None, 1) for part in header.split(";") if part.strip())
    return {part[0]: (part[1] if len(part) > 1 else "") for part in parts}


def test_no_template_has_inline_scripts_styles_or_handlers():
    found = []
    for template in sorted(TEMPLATES.rglob("*.html")):
        source = template.read_text()
        for what, pattern in INLINE.items():
            for match in pattern.finditer(source):
                line = source.count("\n", 0, match.start()) + 1
                found.append(f"{template.relative_to(TEMPLATES)}:{line}: {what}: {match.group(0).strip()}")
    assert not found, "CSP blocks these:\n" + "\n".join(found)


def test_the_inline_check_recognises_what_it_looks_for():
    samples = [
        '<a style="color:red">',
        "<style>p{}</style>",
        '<button onclick="go()">',
        '<div hx-on:click="x">',
        "<script>alert(1)</script>",
        '<script type="module">x</script>',
    ]
    for sample in samples:
        assert any(pattern.search(sample) for pattern in INLINE.values()), sample
    allowed = '<script src="/static/js/dashboard.js" defer></script><p data-on="x" class="one">'
    assert not any(pattern.search(allowed) for pattern in INLINE.values())


def _assert_strict_policy(response, url: str) -> None:  # type: ignore[no-untyped-def]
    header = response.get("Content-Security-Policy")
    assert header, f"{url} ({response.status_code}) has no Content-Security-Policy"
    assert "unsafe-inline" not in header and "unsafe-eval" not in header, f"{url}: {header}"
    directives = _directives(header)
    for name, value in EXPECTED_DIRECTIVES.items():
        assert directives.get(name) == value, f"{url}: {name} is {directives.get(name)!r} in {header}"


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/accounts/login/", "/healthz", "/no-such-page/"])
def test_public_responses_carry_the_policy(client, url):
    _assert_strict_policy(client.get(url), url)


@pytest.mark.django_db
def test_every_page_an_admin_opens_carries_the_policy(admin_client, telnyx_sandbox):
    checked = 0
    for url in ROUTES:
        if "sample" in url or "/1/" in url or url.endswith("/1") or "x/y" in url:
            continue  # needs a real object; the same views answer the pages below
        response = admin_client.get(url)
        _assert_strict_policy(response, url)
        checked += 1
    assert checked > 10


def test_the_server_error_page_renders_on_its_own_and_takes_its_looks_from_the_stylesheet():
    from django.template import loader

    html = loader.get_template("500.html").render()
    assert "css/dashboard.css" in html and 'class="error-page"' in html
