"""The process-wide ``TelnyxClient``, built from Django settings.

This is the only place the Telnyx package touches Django, and only when called. Settings (read with
defaults, so a project without them still starts): ``TELNYX_API_KEY``, ``TELNYX_API_BASE_URL``,
``TELNYX_CONNECT_TIMEOUT``, ``TELNYX_READ_TIMEOUT``, ``TELNYX_MAX_RETRIES``, ``TELNYX_RETRY_MAX_WAIT``,
``TELNYX_BREAKER_FAILURES``, ``TELNYX_BREAKER_WINDOW_SECS``, ``TELNYX_BREAKER_COOLOFF_SECS``,
``TELNYX_BULKHEAD_SIZE``.

The client's circuit breaker keeps its state in Django's default cache (Redis in production), so
every process of the dashboard sees it open and close together.
"""

from __future__ import annotations

import threading
from typing import NamedTuple

from dashboard.telnyx.breaker import CircuitBreaker
from dashboard.telnyx.bulkhead import Bulkhead
from dashboard.telnyx.client import DEFAULT_BASE_URL, TelnyxClient

__all__ = ["close_client", "get_client"]


class _ClientSettings(NamedTuple):
    api_key: str
    base_url: str
    connect_timeout: float
    read_timeout: float
    max_retries: int
    retry_max_wait: float
    breaker_failures: int
    breaker_window: float
    breaker_cooloff: float
    bulkhead_size: int


_lock = threading.Lock()
_current: tuple[_ClientSettings, TelnyxClient] | None = None


def _read_settings() -> _ClientSettings:
    from django.conf import settings

    return _ClientSettings(
        api_key=str(getattr(settings, "TELNYX_API_KEY", "") or ""),
        base_url=str(getattr(settings, "TELNYX_API_BASE_URL", "") or DEFAULT_BASE_URL),
        connect_timeout=float(getattr(settings, "TELNYX_CONNECT_TIMEOUT", 5.0)),
        read_timeout=float(getattr(settings, "TELNYX_READ_TIMEOUT", 30.0)),
        max_retries=int(getattr(settings, "TELNYX_MAX_RETRIES", 3)),
        retry_max_wait=float(getattr(settings, "TELNYX_RETRY_MAX_WAIT", 30.0)),
        breaker_failures=int(getattr(settings, "TELNYX_BREAKER_FAILURES", 5)),
        breaker_window=float(getattr(settings, "TELNYX_BREAKER_WINDOW_SECS", 30.0)),
        breaker_cooloff=float(getattr(settings, "TELNYX_BREAKER_COOLOFF_SECS", 15.0)),
        bulkhead_size=int(getattr(settings, "TELNYX_BULKHEAD_SIZE", 4)),
    )


def _breaker(wanted: _ClientSettings) -> CircuitBreaker:
    from django.core.cache import cache

    return CircuitBreaker(
        cache,
        name=wanted.base_url,
        failures=wanted.breaker_failures,
        window=wanted.breaker_window,
        cooloff=wanted.breaker_cooloff,
    )


def get_client() -> TelnyxClient:
    """The shared client for the current settings; rebuilt (and the old one closed) when they change.

    Keyed on the settings values so ``override_settings`` in tests gets a client for its sandbox.
    """
    global _current
    wanted = _read_settings()
    old: TelnyxClient | None = None
    with _lock:
        if _current is not None and _current[0] == wanted and not _current[1].is_closed:
            return _current[1]
        if _current is not None:
            old = _current[1]
        client = TelnyxClient(
            wanted.api_key,
            wanted.base_url,
            connect_timeout=wanted.connect_timeout,
            read_timeout=wanted.read_timeout,
            max_retries=wanted.max_retries,
            retry_max_wait=wanted.retry_max_wait,
            breaker=_breaker(wanted),
            bulkhead=Bulkhead(wanted.bulkhead_size),
        )
        _current = (wanted, client)
    if old is not None:
        old.close()
    return client


def close_client() -> None:
    """Close the shared client (at shutdown, or between tests); the next ``get_client`` builds anew."""
    global _current
    with _lock:
        current, _current = _current, None
    if current is not None:
        current[1].close()
