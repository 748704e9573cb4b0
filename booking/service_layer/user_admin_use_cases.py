"""Admins manage accounts: search, enable and disable, grant and revoke the organizer and gate roles.
The identity provider holds the accounts, so a change cannot share a transaction with its audit entry:
the change is made first (set-like, so repeating it is harmless) and then recorded once per request id.
A retry whose request id is already recorded replays the user as it is, without changing anything, so
a late retry never undoes what another admin did since."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from apextick_platform.errors import DomainError, ErrorCode
from apextick_platform.identity import Principal, Role
from booking.domain.user import UserAccount, UserAction, check_enabled_change, grantable, user_not_found
from booking.service_layer import paging
from booking.service_layer.paging import Page
from booking.service_layer.payment_ports import AuditEntry, AuditTrail
from booking.service_layer.ports import Clock
from booking.service_layer.user_ports import UserDirectory

USERS_QUERY = "users"


class UserAdminUseCases:
    def __init__(self, directory: UserDirectory, audit: AuditTrail, clock: Clock) -> None:
        self._directory = directory
        self._audit = audit
        self._clock = clock

    async def list_users(self, query: str, requested_size: int, token: str) -> Page[UserAccount]:
        query = query.strip()
        key = paging.query_hash(USERS_QUERY, query)
        first = paging.decode_offset(token, key)
        limit = paging.page_size(requested_size, default=20, maximum=100)
        users = await self._directory.search(query, first, limit + 1)
        more = paging.encode_offset(first + limit, key) if len(users) > limit else ""
        return Page(users[:limit], more)

    async def get(self, user_id: str) -> UserAccount:
        user = await self._directory.get(user_id)
        if user is None:
            raise user_not_found(user_id)
        return user

    async def set_enabled(
        self, principal: Principal, user_id: str, request_id: str, *, enabled: bool
    ) -> UserAccount:
        check_enabled_change(principal.subject, user_id, enabled=enabled)
        action = UserAction.ENABLE if enabled else UserAction.DISABLE
        return await self._change(
            principal,
            user_id,
            action,
            {},
            request_id,
            lambda: self._directory.set_enabled(user_id, enabled=enabled),
        )

    async def grant(self, principal: Principal, user_id: str, role: Role, request_id: str) -> UserAccount:
        return await self._role_change(principal, user_id, role, request_id, UserAction.GRANT)

    async def revoke(self, principal: Principal, user_id: str, role: Role, request_id: str) -> UserAccount:
        return await self._role_change(principal, user_id, role, request_id, UserAction.REVOKE)

    async def _role_change(
        self, principal: Principal, user_id: str, role: Role, request_id: str, action: UserAction
    ) -> UserAccount:
        role = grantable(role)
        change = self._directory.grant if action is UserAction.GRANT else self._directory.revoke
        return await self._change(
            principal, user_id, action, {"role": role.value}, request_id, lambda: change(user_id, role)
        )

    async def _change(
        self,
        principal: Principal,
        user_id: str,
        action: UserAction,
        detail: dict[str, str],
        request_id: str,
        apply: Callable[[], Awaitable[None]],
    ) -> UserAccount:
        target = f"users/{user_id}"
        done = await self._audit.find(principal.subject, action.value, request_id)
        if done is not None:
            if done.target != target or json.loads(done.detail) != detail:
                raise DomainError(ErrorCode.REQUEST_ID_REUSED, "this request id was used for another change")
            return await self.get(user_id)
        await apply()  # an unknown user is USER_NOT_FOUND here, before anything is recorded
        entry = AuditEntry(0, principal.subject, action.value, target, request_id, json.dumps(detail),
                           self._clock())  # fmt: skip
        await self._audit.record(entry)
        return await self.get(user_id)
