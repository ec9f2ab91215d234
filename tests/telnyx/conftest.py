"""Clients for the Telnyx client tests, pointed at the sandbox (a real HTTP server on localhost)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from dashboard.telnyx import TelnyxClient

FAST = {"connect_timeout": 2.0, "read_timeout": 5.0, "max_retries": 2, "retry_max_wait": 0.05}


@pytest.fixture
def make_client(sandbox: Any) -> Iterator[Callable[..., TelnyxClient]]:
    """Build clients for this test's sandbox with short timeouts and backoff; all closed afterwards."""
    clients: list[TelnyxClient] = []

    def make(**overrides: Any) -> TelnyxClient:
        options = {**FAST, "initial_backoff": 0.01, **overrides}
        api_key = options.pop("api_key", sandbox.api_key)
        base_url = options.pop("base_url", sandbox.base_url)
        client = TelnyxClient(api_key, base_url, **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client: Callable[..., TelnyxClient]) -> TelnyxClient:
    return make_client()
