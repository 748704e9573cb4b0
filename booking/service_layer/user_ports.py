"""The port to the identity provider's accounts (Keycloak's admin API in production)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from apextick_platform.identity import Role
from booking.domain.user import UserAccount


class UserDirectory(Protocol):
    """Every call raises DomainError IDENTITY_UNAVAILABLE when the provider cannot be reached, and the
    changes raise USER_NOT_FOUND for an unknown id. The changes are set-like: repeating one is a no-op."""

    async def search(self, query: str, first: int, limit: int) -> Sequence[UserAccount]:
        """People (no service accounts) whose username, email or name contains `query`, by username."""
        ...

    async def get(self, user_id: str) -> UserAccount | None: ...
    async def set_enabled(self, user_id: str, *, enabled: bool) -> None: ...
    async def grant(self, user_id: str, role: Role) -> None: ...
    async def revoke(self, user_id: str, role: Role) -> None: ...
