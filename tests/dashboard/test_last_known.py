"""``last_known``: the answer a page shows when Telnyx cannot answer, and how often it is stored."""

from __future__ import annotations

import time

from dashboard.errors import Unavailable
from dashboard.last_known import last_known

_answers: list[str] = []


def _read() -> str:
    """The latest answer, or an outage when there is none."""
    if not _answers:
        raise Unavailable("Telnyx is not answering right now.")
    return _answers[-1]


def _outage() -> None:
    _answers.clear()


def test_every_answer_is_remembered_by_default() -> None:
    _answers[:] = ["first"]
    last_known(_read)
    _answers.append("second")
    last_known(_read)
    _outage()
    copy = last_known(_read)
    assert copy.stale and copy.value == "second"


def test_remember_every_stores_one_answer_per_period_and_the_next_after_it() -> None:
    _answers[:] = ["first"]
    assert last_known(_read, remember_every=1).value == "first"
    _answers.append("second")
    assert last_known(_read, remember_every=1).value == "second"  # answered, not stored
    _outage()
    copy = last_known(_read, remember_every=1)
    assert copy.stale and copy.value == "first" and copy.error == "Telnyx is not answering right now."
    time.sleep(1.1)  # the period is over: the next answer is stored
    _answers[:] = ["third"]
    last_known(_read, remember_every=1)
    _outage()
    assert last_known(_read, remember_every=1).value == "third"
