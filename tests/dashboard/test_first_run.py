"""`make run` on a machine where something already listens, and `manage.py` in another shell after it."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from dotenv import dotenv_values

from dashboard.launcher import check_ports, prepare_environment, write_decisions

BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port some other program listens on, for the length of the test."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield server.getsockname()[1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _clean_environment(var_dir: Path, **extra: str) -> dict[str, str]:
    """A shell that never exported anything for the dashboard, as a new user's is."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "TELNYX_", "DASHBOARD_"))}
    return {**env, "DASHBOARD_VAR_DIR": str(var_dir), **extra}


def _launch(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "dashboard.launcher"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_taken_dashboard_port_stops_make_run_with_one_line_naming_the_variable(tmp_path, taken_port):
    var_dir = tmp_path / "var"
    env = _clean_environment(var_dir, DASHBOARD_PORT=str(taken_port), SANDBOX_PORT=str(_free_port()))
    result = _launch(env)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"Port {taken_port} (for the dashboard) is already in use, perhaps by an earlier `make run`: "
        f"stop that, or choose another port, e.g. DASHBOARD_PORT={taken_port + 1} make run"
    ]
    # Checked before anything started: no sandbox, no migration, nothing written.
    assert result.stdout == ""
    assert not var_dir.exists()


def test_a_taken_sandbox_port_stops_make_run_naming_sandbox_port(tmp_path, taken_port):
    env = _clean_environment(tmp_path, DASHBOARD_PORT=str(_free_port()), SANDBOX_PORT=str(taken_port))
    result = _launch(env)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert f"Port {taken_port} (for the Telnyx sandbox)" in result.stderr
    assert f"SANDBOX_PORT={taken_port + 1} make run" in result.stderr
    assert result.stdout == ""


def test_the_sandbox_port_does_not_matter_when_real_telnyx_is_used(taken_port):
    env = {"DASHBOARD_PORT": str(_free_port()), "SANDBOX_PORT": str(taken_port), "TELNYX_API_KEY": "KEY"}
    check_ports(env, with_sandbox=False)  # no SystemExit


@pytest.mark.parametrize("value", ["http", "0", "70000"])
def test_a_port_that_is_not_a_port_is_named(value):
    with pytest.raises(
        SystemExit, match=f"DASHBOARD_PORT must be a port number from 1 to 65535; got '{value}'"
    ):
        check_ports({"DASHBOARD_PORT": value}, with_sandbox=False)


def test_the_same_port_for_both_is_refused_before_either_starts():
    port = str(_free_port())
    with pytest.raises(SystemExit, match="DASHBOARD_PORT and SANDBOX_PORT are both"):
        check_ports({"DASHBOARD_PORT": port, "SANDBOX_PORT": port}, with_sandbox=True)


def test_var_env_holds_what_make_run_chose_and_not_what_the_user_set(tmp_path):
    env = {"DASHBOARD_HOST": "127.0.0.1", "TELNYX_WEBHOOK_PUBLIC_KEY": "users-own-key"}
    decided: dict[str, str] = {}
    prepare_environment(env, tmp_path, decided)
    decided["TELNYX_API_BASE_URL"] = "http://127.0.0.1:8700/v2"
    path = write_decisions(tmp_path, decided)

    written = dotenv_values(path)
    assert written == {
        "DJANGO_SECRET_KEY": (tmp_path / "secret_key").read_text().strip(),
        "DJANGO_HTTPS": "0",
        "TELNYX_API_BASE_URL": "http://127.0.0.1:8700/v2",
    }
    assert stat.S_IMODE(path.stat().st_mode) == 0o600, "it holds the secret key"


def test_a_later_run_with_real_telnyx_leaves_no_sandbox_settings_behind(tmp_path):
    write_decisions(
        tmp_path, {"TELNYX_API_KEY": "sandbox-abc", "TELNYX_API_BASE_URL": "http://127.0.0.1:8700/v2"}
    )
    env = {"DJANGO_SECRET_KEY": "from-the-deployment", "DASHBOARD_HOST": "vid.lan", "TELNYX_API_KEY": "KEY"}
    decided: dict[str, str] = {}
    prepare_environment(env, tmp_path, decided)
    assert dotenv_values(write_decisions(tmp_path, decided)) == {}


def _settings_seen_by_manage_py(var_dir: Path, **environment: str) -> list[str]:
    code = (
        "from django.conf import settings as s; "
        "print(s.SECRET_KEY, s.HTTPS, s.TELNYX_API_KEY, s.TELNYX_API_BASE_URL)"
    )
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", code],
        cwd=BASE_DIR,
        env=_clean_environment(var_dir, **environment),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_manage_py_in_a_fresh_shell_uses_what_make_run_wrote(tmp_path):
    write_decisions(
        tmp_path,
        {
            "DJANGO_SECRET_KEY": "written-by-make-run-0123456789-abcdefghijklmnopqrstuvwxyz",
            "DJANGO_HTTPS": "0",
            "TELNYX_API_KEY": "sandbox-0f0f",
            "TELNYX_API_BASE_URL": "http://127.0.0.1:8700/v2",
        },
    )
    assert _settings_seen_by_manage_py(tmp_path) == [
        "written-by-make-run-0123456789-abcdefghijklmnopqrstuvwxyz",
        "False",
        "sandbox-0f0f",
        "http://127.0.0.1:8700/v2",
    ]


def test_the_environment_wins_over_var_env(tmp_path):
    write_decisions(tmp_path, {"DJANGO_SECRET_KEY": "written-by-make-run-0123456789-abcdefghijklmnop"})
    seen = _settings_seen_by_manage_py(
        tmp_path,
        DJANGO_SECRET_KEY="set-in-the-shell-0123456789-abcdefghijklmnopqrstuvwxyz",
        TELNYX_API_KEY="KEY-real",
    )
    assert seen == [
        "set-in-the-shell-0123456789-abcdefghijklmnopqrstuvwxyz",
        "True",
        "KEY-real",
        "https://api.telnyx.com/v2",
    ]
