"""The process-wide client built from Django settings."""

from __future__ import annotations

from typing import Any

from dashboard.telnyx import TelnyxClient, close_client, get_client


def test_get_client_follows_settings(settings: Any, sandbox: Any) -> None:
    settings.TELNYX_API_KEY = sandbox.api_key
    settings.TELNYX_API_BASE_URL = sandbox.base_url
    settings.TELNYX_READ_TIMEOUT = 7.5
    settings.TELNYX_MAX_RETRIES = 1
    try:
        first = get_client()
        assert isinstance(first, TelnyxClient)
        assert get_client() is first
        assert (first.base_url, first.read_timeout, first.max_retries) == (sandbox.base_url, 7.5, 1)
        assert first.list_rooms().items == []

        settings.TELNYX_READ_TIMEOUT = 3.0
        second = get_client()
        assert second is not first and second.read_timeout == 3.0
        assert first.is_closed and not second.is_closed
    finally:
        close_client()
    assert get_client() is not second
    close_client()


def test_get_client_defaults_when_settings_are_absent(settings: Any) -> None:
    for name in ("TELNYX_CONNECT_TIMEOUT", "TELNYX_RETRY_MAX_WAIT"):
        if hasattr(settings, name):
            delattr(settings, name)
    try:
        client = get_client()
        assert client.connect_timeout == 5.0 and client.retry_max_wait == 30.0
    finally:
        close_client()
