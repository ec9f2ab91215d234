"""``make run``: the whole product on one machine, stopped together with Ctrl-C.

Checks that the dashboard's port (and the sandbox's, when it runs) is free, then starts, in order: the
Telnyx sandbox with demo data (only when ``TELNYX_API_KEY`` is unset), the migrations, the web server
(gunicorn), a Celery worker and Celery beat. With the sandbox the demo is event-driven: the
dashboard takes the sandbox's webhook public key and the demo rooms post their events to it.
Imports nothing from Django itself: it prepares the
environment the Django processes read their settings from, and writes what it chose (secret key,
sandbox URL and key, plain HTTP on localhost) to ``var/.env``, which settings read as defaults, so
``manage.py`` run by hand in another shell agrees with the running dashboard.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

BASE_DIR = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def _say(text: str) -> None:
    print(f"[run] {text}", flush=True)


def _port(env: dict[str, str], name: str, default: str) -> int:
    value = env.get(name) or default
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise SystemExit(f"{name} must be a port number from 1 to 65535; got {value!r}.")
    return int(value)


def port_is_free(host: str, port: int) -> bool:
    """Whether a server could listen on ``host:port`` now (nothing else listens there)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # As gunicorn and the sandbox do: a connection of the last run still in TIME_WAIT does not
        # make the port taken, a listening server does.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def check_ports(env: dict[str, str], *, with_sandbox: bool) -> None:
    """Stop with one line naming the port and the variable that moves it, before anything starts.

    A taken port stops the run instead of moving to another one: the usual holder is this dashboard
    already running (another ``make run``, or docker compose, which publishes 8000 and 8700), and a
    second copy on another port would share its database and broker and run a second Celery beat;
    the address a user bookmarked also stays the address the dashboard is at.
    """
    host = env.get("DASHBOARD_HOST") or "127.0.0.1"
    wanted = [("DASHBOARD_PORT", "the dashboard", host, _port(env, "DASHBOARD_PORT", "8000"))]
    if with_sandbox:
        wanted.append(("SANDBOX_PORT", "the Telnyx sandbox", "127.0.0.1", _port(env, "SANDBOX_PORT", "8700")))
    if with_sandbox and wanted[0][3] == wanted[1][3]:
        raise SystemExit(
            f"DASHBOARD_PORT and SANDBOX_PORT are both {wanted[0][3]}; give them different ports."
        )
    for variable, what, address, port in wanted:
        if not port_is_free(address, port):
            raise SystemExit(
                f"Port {port} (for {what}) is already in use, perhaps by an earlier `make run`: stop "
                f"that, or choose another port, e.g. {variable}={port + 1} make run"
            )


def _decide(env: dict[str, str], decided: dict[str, str], name: str, value: str) -> None:
    env[name] = value
    decided[name] = value


def prepare_environment(env: dict[str, str], var_dir: Path, decided: dict[str, str]) -> None:
    env.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
    env.setdefault("PYTHONUNBUFFERED", "1")
    if not env.get("DJANGO_SECRET_KEY"):
        key_file = var_dir / "secret_key"
        if not key_file.exists():
            key_file.write_text(secrets.token_urlsafe(50))
            key_file.chmod(0o600)
        _decide(env, decided, "DJANGO_SECRET_KEY", key_file.read_text().strip())
    host = env.setdefault("DASHBOARD_HOST", "127.0.0.1")
    if host in {"127.0.0.1", "localhost", "::1"} and "DJANGO_HTTPS" not in env:
        # Plain HTTP on this machine only; a deployment behind TLS keeps the HTTPS defaults.
        _decide(env, decided, "DJANGO_HTTPS", "0")


_PLAIN_VALUE = re.compile(r"[\w.:/+=@-]*")


def write_decisions(var_dir: Path, decided: dict[str, str]) -> Path:
    """Write ``var/.env`` afresh: only what this run chose, so nothing of an earlier run (a sandbox
    that is no longer used) lingers. Values the user set in the environment are not copied there."""
    lines = [
        "# Written by `make run` at each start: what it chose for this machine. Django reads these as",
        "# defaults (manage.py, celery started by hand); a variable set in the environment wins.",
    ]
    for name, value in decided.items():
        lines.append(f"{name}={value}" if _PLAIN_VALUE.fullmatch(value) else f"{name}='{value}'")
    path = var_dir / ".env"
    draft = var_dir / ".env.writing"
    # Owner-only from the first byte: it holds the secret key and the sandbox's API key.
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write("\n".join(lines) + "\n")
    os.replace(draft, path)
    return path


def _start_sandbox(env: dict[str, str], var_dir: Path, decided: dict[str, str]) -> subprocess.Popen[str]:
    api_key = "sandbox-" + secrets.token_hex(16)
    port = env.get("SANDBOX_PORT") or "8700"
    command = [
        PYTHON, "-m", "sandbox", "--host", "127.0.0.1", "--port", port, "--api-key", api_key,
        "--seed", "demo", "--state", str(var_dir / "sandbox-state.json"),
    ]  # fmt: skip
    process = subprocess.Popen(  # noqa: S603
        command,
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
        start_new_session=True,
    )
    assert process.stdout is not None
    deadline = time.monotonic() + 30
    for line in process.stdout:
        print(f"[sandbox] {line.rstrip()}", flush=True)
        if line.startswith("SANDBOX_READY "):
            fields = dict(re.findall(r"(\w+)=(\S+)", line))
            _decide(env, decided, "TELNYX_API_KEY", api_key)
            _decide(env, decided, "TELNYX_API_BASE_URL", fields["base_url"])
            if "webhook_public_key" in fields and not env.get("TELNYX_WEBHOOK_PUBLIC_KEY"):
                _decide(env, decided, "TELNYX_WEBHOOK_PUBLIC_KEY", fields["webhook_public_key"])
            threading.Thread(target=_echo, args=("sandbox", process.stdout), daemon=True).start()
            return process
        if time.monotonic() > deadline:
            break
    process.terminate()
    raise SystemExit("The Telnyx sandbox did not start; see its output above.")


def _echo(name: str, stream: IO[str]) -> None:
    for line in stream:
        print(f"[{name}] {line.rstrip()}", flush=True)


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, cwd=BASE_DIR, env=env, check=False)  # noqa: S603
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command[1:])} failed with exit code {result.returncode}.")


def _stop(processes: list[tuple[str, subprocess.Popen[str]]]) -> None:
    for _name, process in reversed(processes):
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for _name, process in reversed(processes):
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    env = dict(os.environ)
    var_dir = Path(env.get("DASHBOARD_VAR_DIR", BASE_DIR / "var")).resolve()
    with_sandbox = not env.get("TELNYX_API_KEY")
    check_ports(env, with_sandbox=with_sandbox)
    var_dir.mkdir(parents=True, exist_ok=True)
    decided: dict[str, str] = {}
    prepare_environment(env, var_dir, decided)
    processes: list[tuple[str, subprocess.Popen[str]]] = []
    # SIGTERM (docker, systemd) is treated like Ctrl-C: each child gets SIGTERM and time to finish.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)  # also when started from a shell that ignores SIGINT
    try:
        if not with_sandbox:
            _say(f"Using the Telnyx API at {env.get('TELNYX_API_BASE_URL', 'https://api.telnyx.com/v2')}.")
        else:
            _say("TELNYX_API_KEY is not set: starting the bundled Telnyx sandbox with demo data.")
            processes.append(("sandbox", _start_sandbox(env, var_dir, decided)))
        host, port = env["DASHBOARD_HOST"], env.get("DASHBOARD_PORT") or "8000"
        if with_sandbox and not env.get("DASHBOARD_PUBLIC_URL"):
            # The demo is event-driven: the sandbox posts its rooms' events to this dashboard.
            shown = host if ":" not in host else f"[{host}]"
            _decide(env, decided, "DASHBOARD_PUBLIC_URL", f"http://{shown}:{port}")
        _say(f"Settings for manage.py in another shell: {write_decisions(var_dir, decided)}")
        manage = [PYTHON, "manage.py"]
        _run([*manage, "migrate", "--noinput", "-v", "0"], env)
        _run([*manage, "collectstatic", "--noinput", "-v", "0"], env)
        _run([*manage, "ensure_demo_admin"], env)
        if "sandbox" in dict(processes):
            # The demo's recordings are on the recordings page from the first minute.
            _run([*manage, "sync_recordings"], env)
        commands = {
            "web": [
                PYTHON, "-m", "gunicorn", "dashboard.wsgi", "--bind", f"{host}:{port}", "--workers", "2",
                "--threads", "8", "--worker-class", "gthread", "--timeout", "120", "--access-logfile", "-",
            ],
            "worker": [
                PYTHON, "-m", "celery", "-A", "dashboard", "worker", "--loglevel", "INFO",
                "--concurrency", env.get("CELERY_CONCURRENCY", "2"),
                "--queues", env.get("CELERY_WORKER_QUEUES", "default,sync,poll,archive"),
            ],
            "beat": [PYTHON, "-m", "celery", "-A", "dashboard", "beat", "--loglevel", "INFO"],
        }  # fmt: skip
        for name, command in commands.items():
            # Own sessions: Ctrl-C reaches only this launcher, which then stops each child in order.
            child = subprocess.Popen(command, cwd=BASE_DIR, env=env, text=True, start_new_session=True)  # noqa: S603
            processes.append((name, child))
        if "sandbox" in dict(processes):
            _run([*manage, "point_rooms_here"], env)  # the demo rooms' events come here
        _say(
            f"Dashboard: http://{host if ':' not in host else f'[{host}]'}:{port}/  (Ctrl-C stops everything)"
        )
        while True:
            for name, process in processes:
                if process.poll() is not None:
                    _say(f"{name} stopped with exit code {process.returncode}; stopping the rest.")
                    return 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        _say("Stopping…")
        return 0
    finally:
        _stop(processes)


if __name__ == "__main__":
    sys.exit(main())
