"""Accounts as the admin screens see them, and the rules for changing them. The identity provider
keeps the accounts; these rules decide what an admin may ask of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from apextick_platform.errors import DomainError, ErrorCode, invalid
from apextick_platform.identity import Role

# Roles an admin grants and revokes over the API. `admin` itself is granted in the realm's code only,
# so a stolen admin session cannot mint more admins; `customer` is everyone's default.
GRANTABLE = frozenset({Role.ORGANIZER, Role.GATE})
# The roles a user listing shows: the ones that change what a person can do beyond buying.
PLATFORM_ROLES = frozenset({Role.ORGANIZER, Role.GATE, Role.ADMIN})


@dataclass(frozen=True)
class UserAccount:
    id: str  # the identity provider's user id: the tokens' subject
    username: str
    email: str
    email_verified: bool
    first_name: str
    last_name: str
    enabled: bool
    roles: frozenset[Role]
    created_at: datetime

    @property
    def name(self) -> str:
        return f"users/{self.id}"


class UserAction(StrEnum):
    """What an admin did to an account, as the audit log names it."""

    ENABLE = "EnableUser"
    DISABLE = "DisableUser"
    GRANT = "GrantRole"
    REVOKE = "RevokeRole"


def user_not_found(user_id: str) -> DomainError:
    return DomainError(ErrorCode.USER_NOT_FOUND, "no such user", metadata={"user": f"users/{user_id}"})


def check_enabled_change(actor: str, user_id: str, *, enabled: bool) -> None:
    """An admin cannot lock themselves out: disabling their own account is refused."""
    if not enabled and actor == user_id:
        raise DomainError(ErrorCode.SELF_CHANGE_REFUSED, "an admin cannot disable their own account")


def grantable(role: Role) -> Role:
    if role not in GRANTABLE:
        raise invalid("role", f"{role.value} is not granted here")
    return role
