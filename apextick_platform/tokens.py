"""The token port: what the call pipeline needs of whoever checks bearer tokens."""

from __future__ import annotations

from typing import Protocol

from apextick_platform.identity import Principal


class TokenVerifier(Protocol):
    """Turns a bearer token into a verified principal, or raises TOKEN_INVALID."""

    async def verify(self, token: str) -> Principal: ...
