"""The official ``telnyx`` SDK pointed at a sandbox, validating every response it receives."""

from __future__ import annotations

from typing import Any

import httpx
from telnyx import Telnyx

from tests.contract.openapi import validate_httpx_response


class ValidatedOperations:
    """An httpx response hook that validates each response and remembers which operations it saw."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, int]] = []

    def __call__(self, response: httpx.Response) -> None:
        op = validate_httpx_response(response)
        self.seen.append((op["operation_id"], response.status_code))

    @property
    def operation_ids(self) -> set[str]:
        return {op for op, _ in self.seen}


def sdk_client(sandbox: Any, hook: ValidatedOperations | None = None, **kwargs: Any) -> Telnyx:
    http_client = httpx.Client(event_hooks={"response": [hook or ValidatedOperations()]})
    return Telnyx(
        api_key=sandbox.api_key, base_url=sandbox.base_url, max_retries=0, http_client=http_client, **kwargs
    )
