"""The embedded default's shared cache: Django's file cache, with ``add`` and ``incr`` atomic
across processes and threads.

Django's file cache answers ``add`` by looking for the key and then writing it, so two web workers
can both find it missing and both be told they added it. The live console's Telnyx lease rests on
``add`` (one request per period asks Telnyx, however many consoles are open): on Django's file
cache, an earlier run of bench/webhooks.py measured 6.0 Telnyx calls a minute for 20 consoles where
one cost 4.0. Here ``add`` and ``incr`` hold an exclusive ``flock`` on a file in the cache folder
while they look and write; ``get`` and ``set`` are left as Django has them (a file is replaced
whole by a rename).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.cache.backends import filebased
from django.core.cache.backends.base import DEFAULT_TIMEOUT


class FileBasedCache(filebased.FileBasedCache):
    def __init__(self, dir: str, params: dict[str, Any]) -> None:  # noqa: A002 - Django's name
        super().__init__(dir, params)  # creates the folder
        self._lock_path = os.path.join(os.path.abspath(dir), "add.lock")

    @contextmanager
    def _alone(self) -> Iterator[None]:
        # Own descriptor per call: threads of one process exclude each other too.
        try:
            fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        except FileNotFoundError:  # the folder was deleted meanwhile, which Django allows for
            self._createdir()  # type: ignore[attr-defined]
            fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # lets the lock go

    def add(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        with self._alone():
            return super().add(key, value, timeout, version)

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        with self._alone():
            return super().incr(key, delta, version)
