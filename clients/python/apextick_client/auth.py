"""Where the SDK gets bearer tokens: minted with the local development key (the stand-in identity
provider's), or signed in against Keycloak (password grant; `apextick login` uses the device flow)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Protocol

from apextick_client.keycloak import Keycloak, KeycloakAdmin
from devstack.identity import REALM, DemoUser, SigningKey, access_claims

ROOT = Path(__file__).resolve().parents[3]


class TokenSource(Protocol):
    def organizer(self) -> str: ...
    def customers(self, count: int) -> list[str]: ...


class DevTokenSource:
    """Mints access tokens with the development signing key: for local stacks, tests and benchmarks."""

    def __init__(self, key_file: Path | None = None, issuer: str | None = None) -> None:
        default_key = ROOT / "var" / "devauth" / "signing-key.pem"
        self._key = SigningKey.load_or_create(
            Path(os.environ.get("APEXTICK_DEV_KEY_FILE", key_file or default_key))
        )
        port = os.environ.get("APEXTICK_IDENTITY_PORT", "8180")
        self._issuer = issuer or os.environ.get(
            "APEXTICK_OIDC_ISSUER", f"http://localhost:{port}/realms/{REALM}"
        )

    def token(self, *roles: str, username: str | None = None, ttl: int = 3600) -> str:
        user = DemoUser(username or f"bench-{uuid.uuid4().hex[:10]}", roles)
        return self._key.sign(access_claims(user, self._issuer, ttl=ttl))

    def organizer(self) -> str:
        return self.token("customer", "organizer")

    def customers(self, count: int) -> list[str]:
        return [self.token("customer") for _ in range(count)]


class KeycloakTokenSource:
    """Real Keycloak tokens: the demo organizer, and `count` bench customers created on demand through
    the admin API (each customer its own account, so per-customer limits apply as in production)."""

    def __init__(self, base_url: str, env: Mapping[str, str] | None = None) -> None:
        env = os.environ if env is None else env
        self._keycloak = Keycloak(base_url)
        self._base_url = base_url
        self._password = env["APEXTICK_DEMO_PASSWORD"]
        self._admin = (
            env.get("APEXTICK_KEYCLOAK_ADMIN_USER", "admin"),
            env["APEXTICK_KEYCLOAK_ADMIN_PASSWORD"],
        )

    def organizer(self) -> str:
        return self._keycloak.password_grant("demo-organizer", self._password).access_token

    def customers(self, count: int) -> list[str]:
        admin = KeycloakAdmin(self._base_url, *self._admin)
        names = [f"bench-customer-{i:05d}" for i in range(count)]
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(lambda name: admin.ensure_user(name, self._password), names))
            grants = pool.map(lambda name: self._keycloak.password_grant(name, self._password), names)
            return [tokens.access_token for tokens in grants]
