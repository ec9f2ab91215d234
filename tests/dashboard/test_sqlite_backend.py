"""The embedded default's SQLite: write-ahead logging synced at every commit, and writers taking
turns on a file lock (``dashboard.sqlite``) instead of napping in SQLite's busy handler.

These tests open their own database file through the backend, so they run whichever database the
suite itself is on."""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path

import pytest
from django.db.utils import ConnectionHandler

from dashboard.sqlite.base import DatabaseCreation
from tests.dashboard.test_settings_process import PRODUCTION, _manage


def _database(path: Path) -> ConnectionHandler:
    return ConnectionHandler(
        {
            "default": {
                "ENGINE": "dashboard.sqlite",
                "NAME": str(path),
                "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
            }
        }
    )


@pytest.fixture(autouse=True)
def _own_databases(django_db_blocker):  # type: ignore[no-untyped-def]
    """Only the files these tests open: the suite's database stays out of reach."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def db_path(tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "turns.sqlite3"
    setup = _database(path)["default"]
    with setup.cursor() as cursor:
        cursor.execute("CREATE TABLE t (n INTEGER)")
    setup.close()
    return path


def _hold_turn(path: Path) -> int:
    fd = os.open(f"{path}-writers", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def _turn_is_free(path: Path) -> bool:
    fd = os.open(f"{path}-writers", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


def test_the_embedded_default_logs_ahead_and_syncs_every_commit(tmp_path):
    code = (
        "from django.db import connection; c = connection.cursor(); "
        "print(connection.settings_dict['ENGINE'], "
        "c.execute('PRAGMA journal_mode').fetchone()[0], c.execute('PRAGMA synchronous').fetchone()[0])"
    )
    env = {**PRODUCTION, "DATABASE_URL": "", "REDIS_URL": ""}
    result = _manage("shell", "-v", "0", "-c", code, env=env, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["dashboard.sqlite", "wal", "2"]  # 2: FULL


def _write(path: Path, *, fail: bool = False) -> None:
    """One write transaction, as ``transaction.atomic`` drives the backend on SQLite."""
    conn = _database(path)["default"]
    conn.ensure_connection()
    try:
        conn._start_transaction_under_autocommit()
        with conn.cursor() as cursor:
            cursor.execute("INSERT INTO t VALUES (1)")
            if fail:
                cursor.execute("INSERT INTO no_such_table VALUES (1)")
        conn.commit()
    except Exception:
        conn.rollback()
        raise
    finally:
        conn.close()


def test_a_writer_waits_for_its_turn_and_goes_when_it_is_let_go(db_path):
    fd = _hold_turn(db_path)  # another writer (in any process) has the turn
    wrote = threading.Event()
    writer = threading.Thread(target=lambda: (_write(db_path), wrote.set()))
    writer.start()
    assert not wrote.wait(0.5), "the writer went in while another one had the turn"
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)
    assert wrote.wait(10)
    writer.join()
    assert _turn_is_free(db_path), "the turn is let go at commit"


def test_a_failed_transaction_lets_the_turn_go(db_path):
    with pytest.raises(Exception, match="no_such_table"):
        _write(db_path, fail=True)
    assert _turn_is_free(db_path)
    _write(db_path)
    conn = _database(db_path)["default"]
    with conn.cursor() as cursor:
        assert cursor.execute("SELECT count(*) FROM t").fetchone()[0] == 1  # the failed one rolled back
    conn.close()


def test_a_test_database_is_created_without_the_log_of_an_earlier_one(tmp_path):
    name = tmp_path / "test.sqlite3"
    for suffix in ("", "-wal", "-shm", "-writers"):
        Path(f"{name}{suffix}").write_bytes(b"left by a run that was killed")
    conn = _database(tmp_path / "main.sqlite3")["default"]
    conn.settings_dict["TEST"]["NAME"] = str(name)
    assert isinstance(conn.creation, DatabaseCreation)
    conn.creation._create_test_db(verbosity=0, autoclobber=True)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("test.")] == []
