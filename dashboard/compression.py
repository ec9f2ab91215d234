"""Gzip for what the dashboard renders (pages, HTMX partials, CSV, JSON), never for media.

Django's ``GZipMiddleware`` compresses every response, streaming ones included. Recording and
composition downloads stream through the dashboard as video/audio with ``Content-Length`` and, for a
player seeking, ``206 Partial Content`` with ``Content-Range``: gzipping those would burn CPU on
already-compressed media, drop the length a download bar shows, and break seeking (the range would
count bytes of a body that is no longer sent). So only textual types are compressed.

BREACH: Django's middleware adds 0–99 random bytes to each gzip header ("Heal the BREACH", Django
4.2), so a response's length no longer tracks guesses about a secret in it; on top of that the CSRF
token in pages is masked afresh on every response, and session cookies are ``SameSite=Lax``, so a
third-party page cannot make the authenticated requests such an attack needs.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseBase
from django.middleware.gzip import GZipMiddleware

COMPRESSIBLE = {
    "application/json",
    "application/javascript",
    "application/xml",
    "image/svg+xml",
}


def is_compressible(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type.startswith("text/") or media_type in COMPRESSIBLE


class PageGZipMiddleware(GZipMiddleware):
    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if (
            response.status_code == 206
            or response.has_header("Content-Range")
            or not is_compressible(response.get("Content-Type", ""))
        ):
            return response
        return super().process_response(request, response)
