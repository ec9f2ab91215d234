"""Join tokens: JWTs signed with Ed25519 (header ``alg: Ed25519``) carrying Telnyx's claims.

Claims (TELNYX-FACTS.md): aud/iss ``telnyx_access_token``, ``typ`` access|refresh, exp, iat, nbf, jti, and
``grants`` of ``{actions: ["join"], resources: ["telnyx:video:rooms:<room id>"]}``.
"""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

AUDIENCE = "telnyx_access_token"
HEADER = {"alg": "Ed25519", "typ": "JWT"}


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def room_resource(room_id: str) -> str:
    return f"telnyx:video:rooms:{room_id}"


def issue(key: Ed25519PrivateKey, *, room_id: str, typ: str, now: int, ttl: int) -> str:
    claims = {
        "aud": AUDIENCE,
        "iss": AUDIENCE,
        "sub": "null",
        "typ": typ,
        "iat": now,
        "nbf": now - 1,
        "exp": now + ttl,
        "jti": str(uuid.uuid4()),
        "grants": [{"actions": ["join"], "resources": [room_resource(room_id)]}],
        "grants_version": "1.0.0",
    }
    signing_input = (
        _b64url(json.dumps(HEADER, separators=(",", ":")).encode())
        + "."
        + _b64url(json.dumps(claims, separators=(",", ":")).encode())
    )
    return signing_input + "." + _b64url(key.sign(signing_input.encode()))


class TokenRejected(Exception):
    pass


def verify(key: Ed25519PrivateKey, token: str, *, now: int) -> dict[str, Any]:
    """Return the claims of a token this sandbox signed, or raise TokenRejected saying why."""
    try:
        header_b64, claims_b64, signature_b64 = token.split(".")
        header = json.loads(_unb64url(header_b64))
        claims = json.loads(_unb64url(claims_b64))
        signature = _unb64url(signature_b64)
    except (ValueError, TypeError) as exc:
        raise TokenRejected("The refresh token is malformed.") from exc
    if not isinstance(header, dict) or header.get("alg") != "Ed25519" or not isinstance(claims, dict):
        raise TokenRejected("The refresh token is malformed.")
    try:
        key.public_key().verify(signature, f"{header_b64}.{claims_b64}".encode())
    except InvalidSignature as exc:
        raise TokenRejected("The refresh token signature is invalid.") from exc
    if claims.get("aud") != AUDIENCE or claims.get("iss") != AUDIENCE:
        raise TokenRejected("The refresh token was not issued for video rooms.")
    exp = claims.get("exp")
    if not isinstance(exp, int) or exp <= now:
        raise TokenRejected("The refresh token has expired.")
    return claims
