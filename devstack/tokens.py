"""Development tokens: minted with the stand-in identity provider's local key, for local stacks, tests and
benchmarks. Registered as the SDK's `dev` token source (entry-point group `apextick.token_sources`), so
`apextick bench` uses it where the development stack is installed, and nowhere else."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from devstack.identity import REALM, DemoUser, SigningKey, access_claims

ROOT = Path(__file__).resolve().parent.parent


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
