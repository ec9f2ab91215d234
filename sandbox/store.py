"""The sandbox's state and rules: rooms, sessions, participants, recordings, compositions.

Every public method takes the store lock, first moves time forward (recordings finish processing,
compositions step through their statuses), then applies one operation. A background ticker calls
:meth:`Store.tick` too, so webhooks for timed transitions leave on time even when nobody is reading.

The parts: :mod:`sandbox.state` (tables, keys, settings, ``--state`` files), :mod:`sandbox.lifecycle`
(joins, leaves, session ends, moderation, status steps), :mod:`sandbox.rooms` (rooms, tokens, sessions
and participants), :mod:`sandbox.recordings` (recordings and compositions) and :mod:`sandbox.seeding`
(sample data).
"""

from __future__ import annotations

from .seeding import Seeding
from .state import Settings


class Store(Seeding):
    """Every operation of the Telnyx API and the control API on one shared state."""


__all__ = ["Settings", "Store"]
