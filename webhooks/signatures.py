"""Telnyx's Ed25519 webhook signature: checked over ``b"{timestamp}|" + raw body``, never re-serialised JSON.

The official SDKs' ``webhooks.unwrap`` checks HMAC standard-webhooks headers, not these, so the check
is done here with PyNaCl.
"""

from __future__ import annotations

import base64
import binascii
from functools import lru_cache

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

#: A timestamp further than this from now, either way, is refused (as the official SDKs do).
TOLERANCE_SECS = 300


class Refusal(Exception):
    """Why an incoming webhook was refused: ``reason`` (a short code the counters use), the HTTP
    status to answer and a sentence for the sender."""

    def __init__(self, reason: str, status: int, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.status = status
        self.message = message


@lru_cache(maxsize=4)
def verify_key(public_key_b64: str) -> VerifyKey:
    """The key from its base64 text; ``ValueError`` when it is not 32 bytes of base64."""
    try:
        raw = base64.b64decode(public_key_b64, validate=True)
    except binascii.Error:
        raise ValueError("TELNYX_WEBHOOK_PUBLIC_KEY is not base64.") from None
    if len(raw) != 32:
        raise ValueError("TELNYX_WEBHOOK_PUBLIC_KEY is not a 32-byte Ed25519 public key.")
    return VerifyKey(raw)


def verify(*, public_key_b64: str, timestamp: str, signature_b64: str, body: bytes, now: float) -> None:
    """Return when ``body`` was signed by the key's owner at ``timestamp`` (within the tolerance of
    ``now``); raise ``Refusal`` saying why not otherwise.

    The signature is checked before the clock, so "stale" counts only genuine events that came late
    (a clock that drifts, a queue that backed up), not forgeries.
    """
    try:
        key = verify_key(public_key_b64)
    except ValueError as exc:
        raise Refusal("bad_key", 503, str(exc)) from None
    if not timestamp or not signature_b64:
        raise Refusal("missing_signature", 400, "telnyx-signature-ed25519 and telnyx-timestamp are required.")
    if not timestamp.isdigit():
        raise Refusal("bad_timestamp", 400, "telnyx-timestamp is not Unix seconds.")
    try:
        signature = base64.b64decode(signature_b64, validate=True)
    except binascii.Error:
        raise Refusal("bad_signature", 401, "The signature is not base64.") from None
    if len(signature) != 64:
        raise Refusal("bad_signature", 401, "The signature is not 64 bytes.")
    try:
        key.verify(timestamp.encode() + b"|" + body, signature)
    except BadSignatureError:
        raise Refusal("bad_signature", 401, "The signature does not match the body.") from None
    if abs(now - int(timestamp)) > TOLERANCE_SECS:
        raise Refusal("stale", 400, f"The timestamp is more than {TOLERANCE_SECS} s from now.")
