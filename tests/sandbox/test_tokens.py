"""Join tokens are Ed25519 JWTs with Telnyx's claims; refresh checks signature, type, room and expiry."""

from __future__ import annotations

import base64
import json
import time

import pytest
from nacl.signing import VerifyKey

from sandbox import tokens
from sandbox.keys import new_private_bytes, private_key
from tests.fixtures.sandbox import TEST_TIMINGS
from tests.sandbox.api import api_client


@pytest.fixture
def api(sandbox):
    with api_client(sandbox) as client:
        yield client


def decode(token):
    def part(text):
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

    header, claims, signature = token.split(".")
    return json.loads(part(header)), json.loads(part(claims)), part(signature), f"{header}.{claims}".encode()


def test_tokens_are_ed25519_jwts_with_telnyx_claims(sandbox, api):
    room = api.post("/rooms", json={}).json()["data"]
    data = api.post(
        f"/rooms/{room['id']}/actions/generate_join_client_token",
        json={"token_ttl_secs": 30, "refresh_token_ttl_secs": 120},
    ).json()["data"]
    verify = VerifyKey(base64.b64decode(sandbox.token_public_key))
    for name, typ, ttl in (("token", "access", 30), ("refresh_token", "refresh", 120)):
        header, claims, signature, signed = decode(data[name])
        verify.verify(signed, signature)
        assert header == {"alg": "Ed25519", "typ": "JWT"}
        assert claims["aud"] == claims["iss"] == "telnyx_access_token"
        assert (
            claims["typ"] == typ and claims["exp"] - claims["iat"] == ttl and claims["nbf"] <= claims["iat"]
        )
        assert claims["jti"]
        assert claims["grants"] == [{"actions": ["join"], "resources": [f"telnyx:video:rooms:{room['id']}"]}]
    assert data["token_expires_at"] < data["refresh_token_expires_at"]


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"token_ttl_secs": 5}, "/token_ttl_secs"),
        ({"refresh_token_ttl_secs": 59}, "/refresh_token_ttl_secs"),
        ({"token_ttl_secs": 3601}, "/token_ttl_secs"),
    ],
)
def test_token_ttl_bounds(api, body, pointer):
    room = api.post("/rooms", json={}).json()["data"]
    response = api.post(f"/rooms/{room['id']}/actions/generate_join_client_token", json=body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["source"]["pointer"] == pointer


def test_refresh_rejects_wrong_type_room_signature_and_expiry(sandbox, api):
    room = api.post("/rooms", json={}).json()["data"]
    other = api.post("/rooms", json={}).json()["data"]
    data = api.post(f"/rooms/{room['id']}/actions/generate_join_client_token", json={}).json()["data"]
    refresh = f"/rooms/{room['id']}/actions/refresh_client_token"
    ok = api.post(refresh, json={"refresh_token": data["refresh_token"], "token_ttl_secs": 10})
    assert ok.status_code == 201
    _, claims, _, _ = decode(ok.json()["data"]["token"])
    assert claims["typ"] == "access" and claims["exp"] - claims["iat"] == 10

    key = private_key(new_private_bytes(TEST_TIMINGS["key_seed"], "tokens"))
    expired = tokens.issue(key, room_id=room["id"], typ="refresh", now=int(time.time()) - 100, ttl=60)
    forged = data["refresh_token"][:-4] + ("AAAA" if not data["refresh_token"].endswith("AAAA") else "BBBB")
    for bad in (data["token"], expired, forged, "not.a.token"):
        response = api.post(refresh, json={"refresh_token": bad})
        assert response.status_code == 403, bad
        assert response.json()["errors"][0]["code"] == "10010"
    wrong_room = api.post(
        f"/rooms/{other['id']}/actions/refresh_client_token", json={"refresh_token": data["refresh_token"]}
    )
    assert wrong_room.status_code == 403
    missing = api.post(refresh, json={})
    assert missing.status_code == 422 and missing.json()["errors"][0]["source"]["pointer"] == "/refresh_token"


def test_whole_number_float_ttls_are_accepted_and_tokens_carry_integer_times(sandbox, api):
    room = api.post("/rooms", json={}).json()["data"]
    made = api.post(
        f"/rooms/{room['id']}/actions/generate_join_client_token",
        json={"token_ttl_secs": 30.0, "refresh_token_ttl_secs": 120.0},
    )
    assert made.status_code == 201
    data = made.json()["data"]
    for name, ttl in (("token", 30), ("refresh_token", 120)):
        _, claims, _, _ = decode(data[name])
        assert type(claims["exp"]) is int and claims["exp"] - claims["iat"] == ttl
    refreshed = api.post(
        f"/rooms/{room['id']}/actions/refresh_client_token",
        json={"refresh_token": data["refresh_token"], "token_ttl_secs": 60.0},
    )
    assert refreshed.status_code == 201
    _, claims, _, _ = decode(refreshed.json()["data"]["token"])
    assert type(claims["exp"]) is int and claims["exp"] - claims["iat"] == 60
    bad = api.post(f"/rooms/{room['id']}/actions/generate_join_client_token", json={"token_ttl_secs": True})
    assert bad.status_code == 422
