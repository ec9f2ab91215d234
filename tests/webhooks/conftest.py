"""Signed Telnyx events for the webhooks tests: a key of the tests' own, and a poster."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from nacl.signing import SigningKey

RECEIVER = "/webhooks/telnyx"


def event(
    event_type: str, *, at: datetime | None = None, event_id: str | None = None, **payload: Any
) -> bytes:
    """An event body as Telnyx sends it (compact JSON)."""
    occurred = (at or datetime.now(UTC)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    envelope = {
        "data": {
            "record_type": "event",
            "event_type": event_type,
            "id": event_id or str(uuid.uuid4()),
            "occurred_at": occurred,
            "payload": payload,
        }
    }
    return json.dumps(envelope, separators=(",", ":")).encode()


def signed_headers(key: SigningKey, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = key.sign(stamp.encode() + b"|" + body).signature
    return {"telnyx-timestamp": stamp, "telnyx-signature-ed25519": base64.b64encode(signature).decode()}


@pytest.fixture
def signing_key(settings) -> SigningKey:  # type: ignore[no-untyped-def]
    """A key pair of the tests' own; the dashboard is configured with its public half."""
    key = SigningKey.generate()
    settings.TELNYX_WEBHOOK_PUBLIC_KEY = base64.b64encode(bytes(key.verify_key)).decode()
    return key


Post = Callable[..., Any]


@pytest.fixture
def post_signed(signing_key: SigningKey) -> Post:
    """POST a body to the receiver signed with the configured key (``timestamp`` to sign another time)."""
    client = Client()

    def post(body: bytes, *, timestamp: int | None = None, headers: dict[str, str] | None = None) -> Any:
        sent = headers if headers is not None else signed_headers(signing_key, body, timestamp)
        return client.post(RECEIVER, data=body, content_type="application/json", headers=sent)

    return post


def minutes_ago(minutes: float) -> datetime:
    return datetime.now(UTC) - timedelta(minutes=minutes)
