"""Access-token verification against an OpenID provider's JWKS (Keycloak's layout) with python-jose."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import urllib.request
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from jose import jwk, jwt
from jose.exceptions import JOSEError

from apextick_platform.errors import DomainError, ErrorCode
from apextick_platform.identity import Principal, Role

log = logging.getLogger(__name__)

ALGORITHM = "RS256"  # the only one we accept: no "none", no HMAC keyed with the public key
ACCESS_TOKEN_TYPE = "Bearer"  # noqa: S105 - Keycloak's `typ` claim; ID tokens say "ID"


@dataclass(frozen=True)
class TokenPolicy:
    issuer: str
    audience: str
    jwks_url: str
    leeway_seconds: int = 10
    refresh_min_interval: float = 10.0  # an unknown kid may refetch the JWKS at most this often
    keys_max_age: float = 300.0  # known keys are refetched this often, so revoked keys drop out
    cache_size: int = 10_000


def invalid_token(reason: str) -> DomainError:
    return DomainError(ErrorCode.TOKEN_INVALID, f"the bearer token was rejected: {reason}")


def fetch_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - URL comes from settings
        return json.load(response)


class JwksTokenVerifier:
    """Checks signature (RS256 only), kid, issuer, audience, exp, nbf, sub and token type.

    Keys are cached by kid. An unknown kid triggers a refetch, which is how a key rotation is picked
    up without a restart. Every attempt counts against the refetch limit, failed ones too, so garbage
    kids cannot hammer the identity provider and, while it is down, only one request per interval
    waits for the fetch's timeout: the others answer UNAUTHENTICATED at once. Keys already known keep
    verifying during an outage (they are refreshed when the provider answers again). Verified tokens
    are remembered until they expire, so a client's repeated calls cost one dict lookup instead of an
    RSA verification."""

    def __init__(
        self,
        policy: TokenPolicy,
        fetch: Callable[[str], Any] = fetch_json,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._policy = policy
        self._fetch = fetch
        self._clock = clock
        self._keys: dict[str, Any] = {}
        self._fetched_at = float("-inf")  # the last successful fetch
        self._attempted_at = float("-inf")  # the last fetch tried, whatever came of it
        self._lock = asyncio.Lock()
        self._verified: OrderedDict[str, tuple[Principal, float]] = OrderedDict()

    async def verify(self, token: str) -> Principal:
        cached = self._verified.get(token)
        if cached is not None and cached[1] > self._clock():
            return cached[0]
        header = self._header(token)
        key = await self._key(header["kid"])
        claims = self._decode(token, key)
        principal = principal_from(claims)
        self._remember(token, principal, float(claims["exp"]))
        return principal

    def _header(self, token: str) -> Mapping[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except JOSEError as exc:
            raise invalid_token("malformed") from exc
        if header.get("alg") != ALGORITHM:
            raise invalid_token(f"algorithm {header.get('alg')!r} is not allowed")
        if not isinstance(header.get("kid"), str):
            raise invalid_token("no key id")
        return header

    async def _key(self, kid: str) -> Any:
        if kid in self._keys and self._clock() - self._fetched_at < self._policy.keys_max_age:
            return self._keys[kid]
        async with self._lock:
            now = self._clock()
            stale = now - self._fetched_at >= self._policy.keys_max_age
            may_try = now - self._attempted_at >= self._policy.refresh_min_interval
            if (kid not in self._keys or stale) and may_try:
                await self._refresh()
        if kid not in self._keys:
            raise invalid_token("unknown key id")
        return self._keys[kid]

    async def _refresh(self) -> None:
        """Fetch the key set; on failure keep the keys we have (logged, never raised: a token whose key
        we cannot learn is simply not verifiable, which the caller answers as TOKEN_INVALID)."""
        self._attempted_at = self._clock()
        try:
            document = await asyncio.to_thread(self._fetch, self._policy.jwks_url)
            keys = _signing_keys(document)
        except (OSError, ValueError, TypeError, AttributeError, JOSEError) as exc:
            log.warning("jwks fetch failed", extra={"url": self._policy.jwks_url, "error": str(exc)})
            return
        self._keys = keys
        self._fetched_at = self._clock()
        self._verified.clear()  # a key may have been withdrawn: verify everything again

    def _decode(self, token: str, key: Any) -> dict[str, Any]:
        options = {
            "require_exp": True,
            "require_iat": True,
            "require_iss": True,
            "require_aud": True,
            "require_sub": True,
            "leeway": self._policy.leeway_seconds,
        }
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self._policy.audience,
                issuer=self._policy.issuer,
                options=options,
            )
        except JOSEError as exc:
            raise invalid_token(str(exc)) from exc
        if claims.get("typ") != ACCESS_TOKEN_TYPE:
            raise invalid_token("not an access token")
        return claims

    def _remember(self, token: str, principal: Principal, expires: float) -> None:
        self._verified[token] = (principal, expires)
        if len(self._verified) > self._policy.cache_size:
            self._verified.popitem(last=False)


def _signing_keys(document: Any) -> dict[str, Any]:
    """The RSA signing keys of a JWKS document, by kid; anything else in it is ignored."""
    keys = {}
    for entry in document.get("keys", []):
        if (
            entry.get("kty") == "RSA"
            and entry.get("use", "sig") == "sig"
            and isinstance(entry.get("kid"), str)
        ):
            keys[entry["kid"]] = jwk.construct(entry, ALGORITHM)
    return keys


def principal_from(claims: Mapping[str, Any]) -> Principal:
    raw_roles = (claims.get("realm_access") or {}).get("roles") or []
    known = {role.value for role in Role}
    roles = frozenset(Role(role) for role in raw_roles if role in known)
    return Principal(
        subject=str(claims["sub"]),
        roles=roles,
        client_id=str(claims.get("azp", "")),
        display_name=str(claims.get("name") or claims.get("preferred_username") or ""),
        email=str(claims.get("email", "")),
    )
