"""Make sure the browser tests have a Chromium to drive.

Order of preference: ``CHROMIUM_PATH`` if set; Debian's ``chromium`` (installed with apt-get when we
are root on a Debian-like machine); otherwise Playwright's own Chromium build (``playwright install``).
Prints the path the tests will use.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys


def _debian_chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def main() -> int:
    if os.environ.get("CHROMIUM_PATH"):
        print(f"Chromium: {os.environ['CHROMIUM_PATH']}")
        return 0
    found = _debian_chromium()
    if not found and shutil.which("apt-get") and os.geteuid() == 0:
        print("Installing Debian's chromium for the browser tests…", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)  # noqa: S607
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=True, env=env)  # noqa: S607
        found = _debian_chromium()
    if found:
        print(f"Chromium: {found}")
        return 0
    print("No system Chromium: installing Playwright's Chromium build…", flush=True)
    return subprocess.run([sys.executable, "-m", "playwright", "install", "chromium"], check=False).returncode  # noqa: S603


if __name__ == "__main__":
    sys.exit(main())
