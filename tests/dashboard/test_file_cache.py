"""The embedded default's cache: ``add`` and ``incr`` are atomic across workers (the live console's
Telnyx lease and the refusal counters rest on them)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.core.cache.backends import filebased

from dashboard.file_cache import FileBasedCache

#: Looking and writing are microseconds apart; the tests widen that window so a race is certain.
WINDOW_SECS = 0.05


def _race(times: int, call: Any) -> list[Any]:
    barrier = threading.Barrier(times)
    results: list[Any] = []

    def one() -> None:
        barrier.wait()
        results.append(call())

    threads = [threading.Thread(target=one) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.fixture
def slow_lookups(monkeypatch):  # type: ignore[no-untyped-def]
    has_key, get = filebased.FileBasedCache.has_key, filebased.FileBasedCache.get

    def slow_has_key(self: Any, *args: Any, **kwargs: Any) -> bool:
        found = has_key(self, *args, **kwargs)
        time.sleep(WINDOW_SECS)
        return found

    def slow_get(self: Any, *args: Any, **kwargs: Any) -> Any:
        value = get(self, *args, **kwargs)
        time.sleep(WINDOW_SECS)
        return value

    monkeypatch.setattr(filebased.FileBasedCache, "has_key", slow_has_key)
    monkeypatch.setattr(filebased.FileBasedCache, "get", slow_get)


def test_of_adds_racing_for_one_key_exactly_one_wins(tmp_path, slow_lookups):
    cache = FileBasedCache(str(tmp_path), {})
    assert sorted(_race(4, lambda: cache.add("live:lease:session:s1", 1, 30))) == [False, False, False, True]
    assert cache.get("live:lease:session:s1") == 1


def test_racing_increments_are_all_counted(tmp_path, slow_lookups):
    cache = FileBasedCache(str(tmp_path), {})
    cache.add("webhooks:refused:bad_signature", 0, timeout=None)
    _race(6, lambda: cache.incr("webhooks:refused:bad_signature"))
    assert cache.get("webhooks:refused:bad_signature") == 6


def test_an_expired_key_can_be_added_again(tmp_path):
    cache = FileBasedCache(str(tmp_path), {})
    assert cache.add("lease", 1, timeout=1)
    assert not cache.add("lease", 2, timeout=1)
    time.sleep(1.1)
    assert cache.add("lease", 3, timeout=1)
    assert cache.get("lease") == 3
