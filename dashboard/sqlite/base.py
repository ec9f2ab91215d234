"""SQLite with writers taking turns, each woken as soon as the one before it is done.

SQLite lets one writer in at a time. The others nap and retry: its busy handler sleeps 1, 2, 5,
10 … 100 ms between tries, so a writer that waits can nap through many turns of a busy one. With
the Celery worker applying events while the receiver stores them (``bench/webhooks.py --only
receiver --worker``), receiver answers waited up to seconds that way.

Here every write transaction (``BEGIN IMMEDIATE``, the only kind ``transaction_mode`` allows) first
takes an exclusive ``flock`` on a file beside the database, and lets it go at commit, rollback or
close. A waiter sleeps in the kernel and wakes as soon as the lock is let go. SQLite's own locking
still guards the data; the file lock only decides who goes next. Statements outside a transaction
(autocommit) do not take it: they are short, and SQLite still serialises them.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from typing import Any

# The hooks overridden below are private, so django-stubs does not declare them (type: ignore[misc]).
from django.db.backends.sqlite3 import base, creation

#: What write-ahead logging keeps beside a database file (and this backend's turns file).
SIDE_FILES = ("-wal", "-shm", "-writers")


class DatabaseCreation(creation.DatabaseCreation):
    """Test databases go with their side files: a log left behind by a database that was removed
    would be replayed into the next database created under the same name."""

    def _create_test_db(self, verbosity: int, autoclobber: bool, keepdb: bool = False) -> str:
        name = str(super()._create_test_db(verbosity, autoclobber, keepdb))  # type: ignore[misc]
        if not keepdb and not self.is_in_memory_db(name):
            _remove_side_files(name)
        return name

    def _destroy_test_db(self, test_database_name: str, verbosity: int) -> None:
        super()._destroy_test_db(test_database_name, verbosity)  # type: ignore[misc]
        if test_database_name and not self.is_in_memory_db(test_database_name):
            _remove_side_files(test_database_name)


def _remove_side_files(name: str) -> None:
    for suffix in SIDE_FILES:
        with contextlib.suppress(FileNotFoundError):
            os.remove(name + suffix)


class DatabaseWrapper(base.DatabaseWrapper):
    creation_class = DatabaseCreation

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._turn_fd: int | None = None
        self._turn_pid = 0
        self._turn_held = False

    def _turns(self) -> int | None:
        """This connection's own descriptor of the turns file (None for an in-memory database).

        Own per connection, so threads of one process wait for each other too; reopened after a
        fork, because a descriptor shared with the parent shares its lock."""
        if self.is_in_memory_db():
            return None
        if self._turn_fd is not None and self._turn_pid != os.getpid():
            os.close(self._turn_fd)  # the parent's copy: closing it here leaves the parent's lock be
            self._turn_fd = None
        if self._turn_fd is None:
            self._turn_fd = os.open(f"{self.settings_dict['NAME']}-writers", os.O_RDWR | os.O_CREAT, 0o600)
            self._turn_pid = os.getpid()
            self._turn_held = False
        return self._turn_fd

    def _take_turn(self) -> None:
        fd = self._turns()
        if fd is not None and not self._turn_held:
            fcntl.flock(fd, fcntl.LOCK_EX)  # releases the GIL while it waits
            self._turn_held = True

    def _end_turn(self) -> None:
        if self._turn_held and self._turn_fd is not None and self._turn_pid == os.getpid():
            fcntl.flock(self._turn_fd, fcntl.LOCK_UN)
        self._turn_held = False

    def _start_transaction_under_autocommit(self) -> None:
        self._take_turn()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._end_turn()
            raise

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]
        finally:
            self._end_turn()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]
        finally:
            self._end_turn()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]
        finally:
            self._end_turn()
            if self._turn_fd is not None:
                os.close(self._turn_fd)  # in a forked child, its copy: the parent's lock stays
            self._turn_fd = None
