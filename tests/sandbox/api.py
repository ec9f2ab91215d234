"""Raw HTTP access to a sandbox for behaviour tests: every /v2 response is validated against the spec."""

from __future__ import annotations

from typing import Any

import httpx

from tests.contract.openapi import validate_httpx_response


def _validate(response: httpx.Response) -> None:
    if "/v2/" in response.request.url.path:
        validate_httpx_response(response)


def api_client(sandbox: Any, *, api_key: str | None = None, timeout: float = 10.0) -> httpx.Client:
    return httpx.Client(
        base_url=sandbox.base_url,
        headers={"Authorization": f"Bearer {api_key or sandbox.api_key}"},
        event_hooks={"response": [_validate]},
        timeout=timeout,
    )


def pointers(response: httpx.Response) -> set[str]:
    return {
        e.get("source", {}).get("pointer") or e.get("source", {}).get("parameter")
        for e in response.json()["errors"]
    }
