"""Static files and pages as a browser gets them from the production setup (DEBUG off, after
`collectstatic`, under gunicorn): compressed, and cached for as long as their names allow."""

from __future__ import annotations

import gzip
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from django.http import HttpResponse, StreamingHttpResponse
from django.test import RequestFactory

from dashboard.compression import PageGZipMiddleware

BASE_DIR = Path(__file__).resolve().parents[2]
TEN_YEARS = "max-age=315360000, public, immutable"


@dataclass
class Fetched:
    status_code: int
    headers: httpx.Headers
    body: bytes


class Site:
    def __init__(self, url: str, static_root: Path) -> None:
        self.url = url
        self.static_root = static_root
        self.manifest: dict[str, str] = json.loads((static_root / "staticfiles.json").read_text())["paths"]

    def get(self, path: str, accept_encoding: str = "identity", **headers: str) -> Fetched:
        # The bytes as sent: httpx would otherwise undo the compression these tests look at.
        with httpx.Client(base_url=self.url, timeout=10) as client:
            request = client.build_request(
                "GET", path, headers={"Accept-Encoding": accept_encoding, **headers}
            )
            response = client.send(request, stream=True)
            try:
                return Fetched(response.status_code, response.headers, b"".join(response.iter_raw()))
            finally:
                response.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    var_dir = tmp_path_factory.mktemp("var")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "TELNYX_", "DASHBOARD_"))}
    env.update(
        DASHBOARD_VAR_DIR=str(var_dir),
        DJANGO_SECRET_KEY="static-delivery-tests-0123456789-abcdefghijklmnopqrstuvwxyz",
        DJANGO_HTTPS="0",
    )
    collect = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    assert collect.returncode == 0, collect.stderr
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "gunicorn", "dashboard.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/accounts/login/", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
                assert time.monotonic() < deadline, "gunicorn did not answer within 30 s"
                time.sleep(0.2)
        yield Site(url, var_dir / "staticfiles")
    finally:
        server.terminate()
        server.wait(timeout=15)


def test_collectstatic_writes_the_manifest_and_brotli_and_gzip_copies(site):
    hashed = site.manifest["vendor/htmx/htmx-2.0.11.min.js"]
    assert re.fullmatch(r"vendor/htmx/htmx-2\.0\.11\.min\.[0-9a-f]{12}\.js", hashed)
    for suffix in ("", ".gz", ".br"):
        assert (site.static_root / (hashed + suffix)).is_file(), suffix


def test_pages_link_static_files_by_their_hashed_names(site):
    html = site.get("/accounts/login/").body.decode()
    assert f'/static/{site.manifest["css/dashboard.css"]}"' in html


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_a_hashed_static_file_is_served_compressed_and_cached_for_ten_years(site, encoding):
    path = "/static/" + site.manifest["vendor/htmx/htmx-2.0.11.min.js"]
    plain = site.get(path)
    compressed = site.get(path, accept_encoding=f"{encoding}, identity")
    assert compressed.status_code == 200
    assert compressed.headers["Content-Encoding"] == encoding
    assert compressed.headers["Cache-Control"] == TEN_YEARS
    assert "Accept-Encoding" in compressed.headers["Vary"]
    assert "Content-Encoding" not in plain.headers
    assert len(compressed.body) < len(plain.body) / 2
    if encoding == "gzip":
        assert gzip.decompress(compressed.body) == plain.body


def test_a_static_file_under_its_plain_name_is_cached_a_minute_then_revalidated(site):
    first = site.get("/static/css/dashboard.css", accept_encoding="gzip")
    assert first.headers["Cache-Control"] == "max-age=60, public"
    again = site.get(
        "/static/css/dashboard.css", accept_encoding="gzip", **{"If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304


def test_html_pages_are_gzipped_when_the_browser_accepts_it(site):
    plain = site.get("/accounts/login/")
    compressed = site.get("/accounts/login/", accept_encoding="gzip, deflate, br")
    assert compressed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in compressed.headers["Vary"]
    assert 'name="password"' in gzip.decompress(compressed.body).decode()
    assert "Content-Encoding" not in plain.headers
    assert 'name="password"' in plain.body.decode()


@pytest.mark.django_db
def test_the_layout_links_the_svg_icon(viewer_client, settings):
    settings.TELNYX_API_KEY = ""
    html = viewer_client.get("/").content.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html


def test_favicon_ico_leads_to_the_svg_icon(site):
    redirect = site.get("/favicon.ico")
    assert redirect.status_code == 302
    assert redirect.headers["Location"] == "/static/" + site.manifest["favicon.svg"]
    icon = site.get(redirect.headers["Location"])
    assert icon.status_code == 200
    assert icon.headers["Content-Type"].startswith("image/svg+xml")
    assert icon.body.startswith(b"<svg")


@pytest.mark.parametrize(
    ("response", "compressed"),
    [
        (StreamingHttpResponse(iter([b"x" * 4096]), content_type="video/mp4"), False),
        (StreamingHttpResponse(iter([b"x" * 4096]), status=206, content_type="text/plain"), False),
        (HttpResponse(b"x" * 4096, content_type="audio/wav"), False),
        (StreamingHttpResponse(iter([b"a,b\n" * 1024]), content_type="text/csv; charset=utf-8"), True),
        (HttpResponse(b'{"a": 1}' * 512, content_type="application/json"), True),
    ],
    ids=["recording-download", "byte-range", "wav", "audit-csv", "json"],
)
def test_recording_downloads_and_byte_ranges_are_never_gzipped(response, compressed):
    request = RequestFactory().get("/", headers={"Accept-Encoding": "gzip"})
    result = PageGZipMiddleware(lambda r: response)(request)
    assert (result.get("Content-Encoding") == "gzip") is compressed
