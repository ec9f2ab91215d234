"""What the end-to-end benchmarks share: a free loopback port, percentiles, the dashboard's
environment over a sandbox, Django set up with a bench user, and the dashboard's processes as the
README runs them (gunicorn, and optionally a Celery worker and beat)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password-0123456789"  # noqa: S105 - a throwaway user in a temporary database

GUNICORN = ["-m", "gunicorn", "dashboard.wsgi", "--worker-class", "gthread", "--workers", "2",
            "--threads", "8", "--log-level", "warning"]  # fmt: skip
WORKER = ["-m", "celery", "-A", "dashboard", "worker", "--loglevel", "WARNING", "--pool", "threads",
          "--concurrency", "4", "--queues", "default,sync,poll,archive", "--without-gossip",
          "--without-mingle", "--without-heartbeat"]  # fmt: skip
BEAT = ["-m", "celery", "-A", "dashboard", "beat", "--loglevel", "WARNING"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))]


def dashboard_env(var_dir: str, sandbox: Any, *, services: bool, **overrides: str) -> dict[str, str]:
    """The dashboard's environment against ``sandbox``, under ``var_dir``, exported to this process
    too. Without ``services``: the embedded default (SQLite and the filesystem broker), whatever
    DATABASE_URL and REDIS_URL the shell exports."""
    env = {
        **os.environ,
        "DASHBOARD_VAR_DIR": var_dir,
        "DJANGO_SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "DJANGO_HTTPS": "0",
        "DJANGO_SETTINGS_MODULE": "dashboard.settings",
        "TELNYX_API_KEY": sandbox.api_key,
        "TELNYX_API_BASE_URL": sandbox.base_url,
        "DASHBOARD_LOG_LEVEL": "WARNING",
        **overrides,
    }
    if not services:
        for name in ("DATABASE_URL", "REDIS_URL"):
            env.pop(name, None)
            os.environ.pop(name, None)
    os.environ.update(env)
    return env


def setup_django(username: str, group: str) -> None:
    """Django set up on the exported environment, migrated, static files collected (pages link
    hashed names), and ``username`` in ``group`` with ``PASSWORD`` (a reused database keeps it)."""
    import django

    django.setup()
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--noinput", verbosity=0)
    user, _ = User.objects.get_or_create(username=username)
    user.set_password(PASSWORD)
    user.save()
    user.groups.add(Group.objects.get(name=group))


class Stack:
    """gunicorn (the README's flags), optionally a Celery worker and beat, on one var dir; ``stop``
    ends them. Output goes to ``log`` when given."""

    def __init__(
        self, env: dict[str, str], *, worker: bool, beat: bool = False, log: Path | None = None
    ) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log: IO[bytes] | None = log.open("wb") if log else None
        commands = [[*GUNICORN, "--bind", f"127.0.0.1:{self.port}"]]
        commands += [WORKER] if worker else []
        commands += [BEAT] if beat else []
        output = {"stdout": self.log, "stderr": subprocess.STDOUT} if self.log else {}
        self.processes = [
            subprocess.Popen([sys.executable, *c], cwd=ROOT, env=env, **output)  # noqa: S603
            for c in commands
        ]
        import httpx

        for _ in range(200):
            try:
                httpx.get(self.base + "/healthz", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        time.sleep(3 if worker else 0)  # the worker connects to the broker

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
        if self.log:
            self.log.close()
