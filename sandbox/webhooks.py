"""Webhook delivery off the request path, signed with Ed25519 exactly as Telnyx signs them.

Headers ``telnyx-signature-ed25519`` (base64 of the signature over ``"{timestamp}|{raw body}"``) and
``telnyx-timestamp`` (Unix seconds). A non-2xx answer, a connection error or a timeout of
``webhook_timeout_secs`` sends the same event to the failover URL. Worker threads drain a queue, so a slow
receiver delays other deliveries at most by the number of workers, never an API response.
"""

from __future__ import annotations

import base64
import json
import queue
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .timeutil import iso


@dataclass(frozen=True)
class Target:
    url: str | None
    failover_url: str | None
    timeout_secs: int | None


def envelope(event_type: str, payload: dict[str, Any], occurred_at: float) -> dict[str, Any]:
    return {
        "data": {
            "record_type": "event",
            "event_type": event_type,
            "id": str(uuid.uuid4()),
            "occurred_at": iso(occurred_at),
            "payload": payload,
        }
    }


def sign(key: Ed25519PrivateKey, timestamp: str, body: bytes) -> str:
    return base64.b64encode(key.sign(timestamp.encode() + b"|" + body)).decode()


class WebhookDispatcher:
    """Queue of events to deliver; ``deliveries`` logs every attempt for tests and the demo."""

    def __init__(self, key: Ed25519PrivateKey, *, default_timeout: float = 10.0, workers: int = 4) -> None:
        self.key = key
        self.default_timeout = default_timeout
        self.queue: queue.Queue[tuple[Target, dict[str, Any]]] = queue.Queue()
        self.log_lock = threading.Lock()
        self.deliveries: list[dict[str, Any]] = []
        self._threads = [
            threading.Thread(target=self._work, name=f"webhooks-{i}", daemon=True) for i in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    def enqueue(self, target: Target, event: dict[str, Any]) -> None:
        if target.url or target.failover_url:
            self.queue.put((target, event))

    def clear_log(self) -> None:
        with self.log_lock:
            self.deliveries.clear()

    def log(self) -> list[dict[str, Any]]:
        with self.log_lock:
            return list(self.deliveries)

    def _work(self) -> None:
        while True:
            target, event = self.queue.get()
            try:
                self._deliver(target, event)
            except Exception as exc:  # noqa: BLE001 - a worker must never die
                self._record(event, target.url or "", "primary", None, repr(exc), 0.0)

    def _deliver(self, target: Target, event: dict[str, Any]) -> None:
        timeout = float(target.timeout_secs) if target.timeout_secs else self.default_timeout
        if target.url and self._post(target.url, event, timeout, "primary"):
            return
        if target.failover_url:
            self._post(target.failover_url, event, timeout, "failover")

    def _post(self, url: str, event: dict[str, Any], timeout: float, attempt: str) -> bool:
        body = json.dumps(event, separators=(",", ":")).encode()
        timestamp = str(int(time.time()))
        request = urllib.request.Request(  # noqa: S310 - receivers are configured http(s) URLs
            url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": "telnyx-webhooks",
                "telnyx-timestamp": timestamp,
                "telnyx-signature-ed25519": sign(self.key, timestamp, body),
            },
        )
        started = time.monotonic()
        status: int | None = None
        error = None
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                response.read()
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
            error = f"HTTP {exc.code}"
        except Exception as exc:  # noqa: BLE001 - timeouts, refused connections, bad hosts
            error = repr(exc)
        ok = status is not None and 200 <= status < 300
        self._record(event, url, attempt, status, error, time.monotonic() - started)
        return ok

    def _record(
        self,
        event: dict[str, Any],
        url: str,
        attempt: str,
        status: int | None,
        error: str | None,
        secs: float,
    ) -> None:
        with self.log_lock:
            self.deliveries.append(
                {
                    "event_id": event["data"]["id"],
                    "event_type": event["data"]["event_type"],
                    "url": url,
                    "attempt": attempt,
                    "status": status,
                    "error": error,
                    "elapsed_secs": round(secs, 3),
                }
            )
            del self.deliveries[:-1000]
