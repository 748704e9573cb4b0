"""An in-memory identity provider's accounts: the UserDirectory rules of KeycloakUsers (search by
username, email and names, by username; set-like role changes; unknown ids are USER_NOT_FOUND)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from apextick_platform.errors import DomainError, ErrorCode
from apextick_platform.identity import Role
from booking.domain.user import UserAccount, user_not_found


class FakeUsers:
    def __init__(self, accounts: Sequence[UserAccount] = ()) -> None:
        self.accounts = {a.id: a for a in accounts}
        self.down = False  # True: every call is IDENTITY_UNAVAILABLE, as with Keycloak away
        self.changes = 0  # changes that took effect (a repeated grant is not one)

    def _check(self) -> None:
        if self.down:
            raise DomainError(ErrorCode.IDENTITY_UNAVAILABLE, "the identity provider did not answer")

    def _account(self, user_id: str) -> UserAccount:
        self._check()
        if user_id not in self.accounts:
            raise user_not_found(user_id)
        return self.accounts[user_id]

    def _put(self, account: UserAccount) -> None:
        if account != self.accounts[account.id]:
            self.changes += 1
            self.accounts[account.id] = account

    async def search(self, query: str, first: int, limit: int) -> Sequence[UserAccount]:
        self._check()
        needle = query.lower()
        found = [
            a for a in self.accounts.values()
            if needle in " ".join((a.username, a.email, a.first_name, a.last_name)).lower()
        ]  # fmt: skip
        return sorted(found, key=lambda a: a.username)[first : first + limit]

    async def get(self, user_id: str) -> UserAccount | None:
        self._check()
        return self.accounts.get(user_id)

    async def set_enabled(self, user_id: str, *, enabled: bool) -> None:
        self._put(replace(self._account(user_id), enabled=enabled))

    async def grant(self, user_id: str, role: Role) -> None:
        account = self._account(user_id)
        self._put(replace(account, roles=account.roles | {role}))

    async def revoke(self, user_id: str, role: Role) -> None:
        account = self._account(user_id)
        self._put(replace(account, roles=account.roles - {role}))
