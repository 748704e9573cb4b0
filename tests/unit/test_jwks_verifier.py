"""Token checks with real RSA keys; only the JWKS fetch is replaced (pure logic, no network)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import pytest
from jose import jwt as jose_jwt

from apextick_platform.errors import DomainError, ErrorCode
from apextick_platform.identity import Role
from apextick_platform.jwks_verifier import JwksTokenVerifier, TokenPolicy
from devstack.identity import DEMO_USERS, SigningKey, access_claims

ISSUER = "http://localhost:8180/realms/apextick"
KEY = SigningKey.generate("k1")
OTHER = SigningKey.generate("k2")


class FakeJwks:
    def __init__(self, *keys: SigningKey) -> None:
        self.keys = list(keys)
        self.fetches = 0

    def __call__(self, url: str) -> dict[str, Any]:
        self.fetches += 1
        return {"keys": [k.public_jwk() for k in self.keys]}


def verifier(jwks: FakeJwks, **policy: Any) -> JwksTokenVerifier:
    return JwksTokenVerifier(TokenPolicy(ISSUER, "apextick-api", "http://jwks", **policy), fetch=jwks)


def claims(**changes: Any) -> dict[str, Any]:
    base = access_claims(DEMO_USERS["organizer"], ISSUER)
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


async def test_a_good_token_gives_subject_and_roles() -> None:
    principal = await verifier(FakeJwks(KEY)).verify(KEY.sign(claims()))
    assert principal.subject == DEMO_USERS["organizer"].subject
    assert principal.roles == {Role.CUSTOMER, Role.ORGANIZER}
    assert principal.client_id == "apextick-web"


def hs256_with_public_key() -> str:
    """The classic confusion attack: an HMAC signed with the (public) RSA key as the secret.
    Built by hand because python-jose itself refuses to produce it."""
    signing_input = f"{b64({'alg': 'HS256', 'kid': 'k1', 'typ': 'JWT'})}.{b64(claims())}"
    mac = hmac.new(KEY.public_pem, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + base64.urlsafe_b64encode(mac).decode().rstrip("=")


def bad_tokens() -> dict[str, str]:
    now = int(time.time())
    good = KEY.sign(claims())
    header, payload, signature = good.split(".")
    return {
        "alg none": b64({"alg": "none", "kid": "k1"}) + "." + payload + ".",
        "HS256 keyed with the public key": hs256_with_public_key(),
        "expired": KEY.sign(claims(exp=now - 3600, iat=now - 7200, nbf=now - 7200)),
        "not yet valid": KEY.sign(claims(nbf=now + 3600)),
        "wrong issuer": KEY.sign(claims(iss="http://evil/realms/apextick")),
        "wrong audience": KEY.sign(claims(aud="account")),
        "missing audience": KEY.sign(claims(aud=None)),
        "unknown kid": OTHER.sign(claims()),
        "ID token": KEY.sign(claims(typ="ID", aud="apextick-web")),
        "ID token typ with API audience": KEY.sign(claims(typ="ID")),
        "tampered payload": f"{header}.{b64(claims(realm_access={'roles': ['admin']}))}.{signature}",
        "no subject": KEY.sign(claims(sub=None)),
        "garbage": "not.a.token",
    }


@pytest.mark.parametrize("case", list(bad_tokens()))
async def test_bad_tokens_are_rejected(case: str) -> None:
    token = bad_tokens()[case]
    with pytest.raises(DomainError) as caught:
        await verifier(FakeJwks(KEY)).verify(token)
    assert caught.value.code is ErrorCode.TOKEN_INVALID


async def test_key_rotation_is_picked_up_on_an_unknown_kid_and_refetches_are_rate_limited() -> None:
    jwks = FakeJwks(KEY)
    check = verifier(jwks, refresh_min_interval=0.0)
    await check.verify(KEY.sign(claims()))
    jwks.keys = [OTHER]  # the provider rotated its key
    principal = await check.verify(OTHER.sign(claims()))
    assert principal.subject == DEMO_USERS["organizer"].subject
    assert jwks.fetches == 2

    limited = verifier(jwks, refresh_min_interval=3600.0)
    await limited.verify(OTHER.sign(claims()))
    for _ in range(5):
        with pytest.raises(DomainError):
            await limited.verify(KEY.sign(claims()))  # unknown kid: no refetch storm
    assert jwks.fetches == 3


async def test_verified_tokens_are_cached_until_expiry(monkeypatch: pytest.MonkeyPatch) -> None:
    decodes = []
    real_decode = jose_jwt.decode

    def counting_decode(*args: Any, **kwargs: Any) -> Any:
        decodes.append(1)
        return real_decode(*args, **kwargs)

    monkeypatch.setattr(jose_jwt, "decode", counting_decode)
    now = [time.time()]
    check = JwksTokenVerifier(
        TokenPolicy(ISSUER, "apextick-api", "http://jwks"), fetch=FakeJwks(KEY), clock=lambda: now[0]
    )
    token = KEY.sign(claims(exp=int(now[0]) + 60))
    first = await check.verify(token)
    assert await check.verify(token) is first
    assert len(decodes) == 1
    now[0] += 120  # past the token's expiry: the cache must not answer any more
    await check.verify(token)
    assert len(decodes) == 2


class DownJwks:
    """An identity provider that is unreachable (after answering `answers` times)."""

    def __init__(self, *keys: SigningKey, answers: int = 0) -> None:
        self.up = FakeJwks(*keys)
        self.answers = answers
        self.attempts = 0

    def __call__(self, url: str) -> dict[str, Any]:
        self.attempts += 1
        if self.attempts > self.answers:
            raise OSError("connection refused")
        return self.up(url)


async def test_an_outage_costs_one_fetch_per_interval_and_unknown_kids_are_unauthenticated() -> None:
    now = [1000.0]
    down = DownJwks()
    check = JwksTokenVerifier(
        TokenPolicy(ISSUER, "apextick-api", "http://jwks", refresh_min_interval=10.0),
        fetch=down,
        clock=lambda: now[0],
    )
    for _ in range(20):
        with pytest.raises(DomainError) as refused:
            await check.verify(KEY.sign(claims()))
        assert refused.value.code is ErrorCode.TOKEN_INVALID  # UNAUTHENTICATED, not a 503
    assert down.attempts == 1  # the failed fetch counted against the limit
    now[0] += 11
    with pytest.raises(DomainError):
        await check.verify(KEY.sign(claims()))
    assert down.attempts == 2


async def test_known_keys_keep_verifying_while_the_provider_is_down() -> None:
    now = [time.time()]
    down = DownJwks(KEY, answers=1)
    check = JwksTokenVerifier(
        TokenPolicy(ISSUER, "apextick-api", "http://jwks", keys_max_age=60.0),
        fetch=down,
        clock=lambda: now[0],
    )
    await check.verify(KEY.sign(claims()))
    now[0] += 120  # the keys are stale, and the provider is down
    fresh_token = KEY.sign(claims())
    assert (await check.verify(fresh_token)).subject == DEMO_USERS["organizer"].subject
    assert down.attempts == 2


GARBLED = [{"keys": "nope"}, {"keys": [{"kty": "RSA", "kid": "k1", "n": "!"}]}, []]


@pytest.mark.parametrize("document", GARBLED)
async def test_a_garbled_key_set_is_an_outage_not_a_crash(document: Any) -> None:
    check = JwksTokenVerifier(TokenPolicy(ISSUER, "apextick-api", "http://jwks"), fetch=lambda _: document)
    with pytest.raises(DomainError) as refused:
        await check.verify(KEY.sign(claims()))
    assert refused.value.code is ErrorCode.TOKEN_INVALID
