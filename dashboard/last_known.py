"""Pages answer with the last data they could get when Telnyx cannot answer now."""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from django.core.cache import cache
from django.utils import timezone

from dashboard.errors import Unavailable

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: How long a remembered answer may stand in for a fresh one.
SNAPSHOT_TTL = 7 * 24 * 3600


@dataclass(slots=True)
class Snapshot(Generic[T]):
    """What a page shows: fresh data, or the last data it could get with the reason it is stale."""

    value: T | Any
    stale: bool = False
    error: str = ""
    fetched_at: datetime | None = None


def _cache_key(fetch: Callable[..., Any], kwargs: dict[str, Any]) -> str:
    """The same function with the same arguments shares one remembered answer, whoever asks."""
    arguments = repr(sorted(kwargs.items()))
    digest = hashlib.sha256(arguments.encode()).hexdigest()[:32]
    return f"last-known:{fetch.__module__}.{fetch.__qualname__}:{digest}"


def last_known(
    fetch: Callable[..., T], *, default: Any = None, remember_every: float = 0, **kwargs: Any
) -> Snapshot[T]:
    """``fetch(**kwargs)``, remembered in the shared cache; when it raises ``Unavailable``, the
    remembered answer for the same call (or ``default``) with the reason, so a page never fails on it.

    ``NotFound`` and ``Refused`` pass through: they are answers, not outages.

    ``remember_every``: remember an answer at most once per that many seconds, whoever asks (a
    marker in the shared cache decides, as ``cache.add`` does for the live snapshots). For reads
    that every open page repeats every few seconds, such as the console's table, where storing
    each answer costs more than making it and an outage copy a few seconds older is as good.
    """
    key = _cache_key(fetch, kwargs)
    try:
        value = fetch(**kwargs)
    except Unavailable as exc:
        remembered = cache.get(key)
        if remembered is None:
            return Snapshot(value=default, stale=True, error=exc.message)
        value, at = remembered
        return Snapshot(value=value, stale=True, error=exc.message, fetched_at=at)
    now = timezone.now()
    try:
        if remember_every <= 0 or cache.add(f"{key}:remembered", 1, math.ceil(remember_every)):
            cache.set(key, (value, now), SNAPSHOT_TTL)
    except Exception:  # a cache outage must not break a page that has its data
        logger.warning("could not remember %s in the cache", key, exc_info=True)
    return Snapshot(value=value, fetched_at=now)
