"""Where the SDK gets bearer tokens: signed in against Keycloak (password grant; `apextick login` uses the
device flow), or from a token source another installed package registers under the entry-point group
`apextick.token_sources` (the development stack registers `dev`, which mints tokens with its local key;
the SDK itself knows nothing of that key)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import entry_points
from typing import Protocol, cast

from apextick_client.keycloak import Keycloak, KeycloakAdmin


class TokenSource(Protocol):
    def organizer(self) -> str: ...
    def customers(self, count: int) -> list[str]: ...


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


TOKEN_SOURCES = "apextick.token_sources"  # noqa: S105 - an entry-point group, not a secret


def registered_token_source(name: str) -> TokenSource | None:
    """The token source an installed package registers under `name`, built with no arguments."""
    for entry in entry_points(group=TOKEN_SOURCES, name=name):
        return cast("TokenSource", entry.load()())
    return None
