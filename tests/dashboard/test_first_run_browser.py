"""A new user's first run, as they meet it: `make run` from nothing, then a browser signing in with
the demo admin's password the terminal printed, at desktop and phone width."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.fixtures.browser import sign_in

BASE_DIR = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Launcher:
    """`python -m dashboard.launcher` (what `make run` runs) with its output collected as it comes."""

    def __init__(self, var_dir: Path) -> None:
        # The embedded default, as on a new machine: nothing exported for the dashboard, no database
        # or broker URL (CI's own ones belong to the test run), free ports.
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "TELNYX_", "DASHBOARD_", "CELERY_"))
            and k not in ("DATABASE_URL", "REDIS_URL")
        }
        self.port = _free_port()
        env.update(
            DASHBOARD_VAR_DIR=str(var_dir), DASHBOARD_PORT=str(self.port), SANDBOX_PORT=str(_free_port())
        )
        self.lines: list[str] = []
        self.process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "dashboard.launcher"],
            cwd=BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        threading.Thread(target=self._collect, daemon=True).start()

    def _collect(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip())

    def wait_for(self, pattern: str, timeout: float = 180) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                found = re.search(pattern, line)
                if found:
                    return found
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        raise AssertionError(
            f"no line matching {pattern!r}; the launcher said:\n" + "\n".join(self.lines[-40:])
        )

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            raise


def test_make_run_from_nothing_then_sign_in_in_a_browser(tmp_path, browser, artifacts_dir):
    launcher = Launcher(tmp_path / "var")
    try:
        password = launcher.wait_for(r"Sign in as: (\S+) / (\S+)")
        url = launcher.wait_for(r"Dashboard: (http://\S+)/").group(1)
        for width, height in ((1440, 900), (390, 844)):
            context = browser.new_context(viewport={"width": width, "height": height})
            page = context.new_page()
            deadline = time.monotonic() + 30
            while True:  # gunicorn answers a moment after the launcher names its address
                try:
                    page.goto(url + "/accounts/login/")
                    break
                except Exception:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.5)
            sign_in(page, url, password.group(1), password.group(2))
            page.wait_for_selector("text=Live now")
            assert (
                page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
                <= 0
            )
            page.screenshot(path=str(artifacts_dir / f"first-run-{width}.png"), full_page=True)
            context.close()
        # A second shell finds the settings make run wrote (var/.env), without exporting anything.
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "TELNYX_", "DASHBOARD_"))
            and k not in ("DATABASE_URL", "REDIS_URL")
        }
        checked = subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", "check"],
            cwd=BASE_DIR,
            env={**env, "DASHBOARD_VAR_DIR": str(tmp_path / "var")},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert checked.returncode == 0, checked.stderr
    finally:
        code = launcher.stop()
    assert code == 0
    assert any("Stopping" in line for line in launcher.lines)
