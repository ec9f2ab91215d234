"""Every page of the dashboard at a desktop and a phone width, as PNGs in docs/screenshots/.

``make screenshots`` runs this. It starts, on loopback only: the Telnyx sandbox with its demo data,
a fresh SQLite database under ``var/screenshots/`` (migrated, synced, with a demo admin, a moderator
and a viewer) and Django's development server; then signs in with Chromium (Playwright, Debian's
``chromium`` when installed) and saves each page at 1440 and 390 px wide. Everything it started
is stopped at the end. Nothing here talks to the real Telnyx.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sandbox.testing import SandboxProcess  # noqa: E402 - after the path is set

OUT = Path(os.environ.get("SCREENSHOTS_DIR", ROOT / "docs" / "screenshots"))
VAR = ROOT / "var" / "screenshots"
WIDTHS = {1440: 900, 390: 844}
PASSWORD = secrets.token_urlsafe(18)  # the demo accounts' password, new each run
HOLD_NEWEST_SESSION = (
    "from governance.holds import add_hold; from recordings.models import Recording; "
    "r = Recording.objects.order_by('-started_at').first(); "
    "add_hold(user=None, scope='session', target_id=r.session_id, reason='Demo: a dispute') if r else None"
)
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _environment(sandbox: SandboxProcess) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DASHBOARD_VAR_DIR=str(VAR),
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_HTTPS="0",
        DASHBOARD_HASHED_STATIC="0",
        TELNYX_API_KEY=sandbox.api_key,
        TELNYX_API_BASE_URL=sandbox.base_url,
        JOIN_URL_TEMPLATE="https://meet.example.com/{room_id}?token={token}",
    )
    for name in ("DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)
    return env


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)  # noqa: S603


@contextmanager
def _dev_server(env: dict[str, str]) -> Iterator[str]:
    port = _free_port()
    command = [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload", "--nothreading"]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.DEVNULL)  # noqa: S603
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(10)


FULL_PAGE = "--first-screen" not in sys.argv  # --first-screen: only what a screen shows, for review


def _shoot(page: Any, name: str, width: int) -> None:
    page.wait_for_load_state("networkidle")
    path = OUT / f"{name}-{width}.png"
    page.screenshot(path=str(path), full_page=FULL_PAGE)
    print(f"  {path}")


def _pages(base: str) -> list[tuple[str, str | Callable[[Any], None]]]:
    """(name, path or a step that leads there from the signed-in page)."""

    def first_link(selector: str) -> Callable[[Any], None]:
        def step(page: Any) -> None:
            page.locator(selector).first.click()
            page.wait_for_load_state("networkidle")

        return step

    def room_with_token(page: Any) -> None:
        page.goto(f"{base}/rooms/")
        first_link("#room-table td a")(page)
        page.locator("#join-token button.primary").click()
        page.wait_for_selector(".join-qr svg")

    def recordings_menu(page: Any) -> None:
        page.goto(f"{base}/recordings/")
        page.locator("table details.menu summary").first.click()

    def new_composition(page: Any) -> None:
        page.goto(f"{base}/compositions/new")
        page.locator(".help a").first.click()
        page.wait_for_load_state("networkidle")
        page.locator("input[value=side_by_side]").check()
        page.locator("button[value=preview]").click()
        page.wait_for_selector("#layout-preview")

    def composition_detail(page: Any) -> None:
        new_composition(page)
        page.locator("#create-composition").click()
        page.wait_for_url("**/compositions/*/")

    def phone_menu(page: Any) -> None:
        page.goto(f"{base}/recordings/")
        toggle = page.locator(".nav-toggle")
        if toggle.is_visible():
            toggle.click()

    return [
        ("overview", "/"),
        ("rooms", "/rooms/"),
        ("room", room_with_token),
        ("sessions", "/sessions/"),
        ("session", first_link("#session-table td.row-actions a")),
        ("recordings", "/recordings/"),
        ("recordings-menu", recordings_menu),
        ("compositions-new", new_composition),
        ("composition", composition_detail),
        ("compositions", "/compositions/"),
        ("audit", "/audit/"),
        ("people", "/people/"),
        ("events", "/webhooks/"),
        ("webhooks", "/webhooks/setup"),
        ("menu-open", phone_menu),
    ]


def main() -> int:
    from playwright.sync_api import sync_playwright

    shutil.rmtree(VAR, ignore_errors=True)
    VAR.mkdir(parents=True)
    OUT.mkdir(parents=True, exist_ok=True)
    with SandboxProcess(seed="demo", churn=0, composition_step=1.0, recording_processing=0.5) as sandbox:
        env = _environment(sandbox)
        _manage(env, "migrate", "--noinput", "-v", "0")
        _manage(env, "collectstatic", "--noinput", "-v", "0")
        _manage(env, "adduser", "demo-admin", "--role", "admin", "--password", PASSWORD)
        _manage(env, "adduser", "mo-moderator", "--role", "moderator", "--password", PASSWORD)
        _manage(env, "adduser", "vi-viewer", "--role", "viewer", "--password", PASSWORD)
        _manage(env, "sync_recordings")
        # A legal hold on the newest session, so the lists show their Held badges.
        _manage(env, "shell", "-c", HOLD_NEWEST_SESSION)
        with _dev_server(env) as base, sync_playwright() as playwright:
            executable = shutil.which("chromium") or shutil.which("chromium-browser")
            browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
            for width, height in WIDTHS.items():
                context = browser.new_context(viewport={"width": width, "height": height})
                context.set_default_timeout(15_000)
                page = context.new_page()
                page.goto(f"{base}/accounts/login/")
                _shoot(page, "login", width)
                page.fill("input[name=username]", "demo-admin")
                page.fill("input[name=password]", PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_url(f"{base}/")
                for name, where in _pages(base):
                    if isinstance(where, str):
                        page.goto(base + where)
                    else:
                        where(page)
                    _shoot(page, name, width)
                context.close()
                # The product's 403 where Django's admin used to ask a viewer to sign in again.
                context = browser.new_context(viewport={"width": width, "height": height})
                page = context.new_page()
                page.goto(f"{base}/accounts/login/")
                page.fill("input[name=username]", "vi-viewer")
                page.fill("input[name=password]", PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_url(f"{base}/")
                page.goto(f"{base}/admin/")
                _shoot(page, "admin-as-viewer", width)
                context.close()
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
