"""Who is calling, and whether a caller policy lets them in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum, StrEnum

from apextick_platform.errors import DomainError, ErrorCode


class Role(StrEnum):
    """Realm roles carried in the access token's ``realm_access.roles``."""

    CUSTOMER = "customer"
    ORGANIZER = "organizer"
    ADMIN = "admin"
    SERVICE = "service"
    GATE = "gate"


class CallerPolicy(Enum):
    """Mirror of ``apextick.auth.v1.CallerPolicy``: who may call an RPC."""

    UNSPECIFIED = 0
    PUBLIC = 1
    CUSTOMER = 2
    ORGANIZER = 3
    ADMIN = 4
    INTERNAL = 5
    GATE = 6


@dataclass(frozen=True)
class Principal:
    """A verified caller. ``subject`` is the token's ``sub``: stable, never reused."""

    subject: str
    roles: frozenset[Role]
    client_id: str = ""
    display_name: str = ""
    email: str = ""

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.roles

    def can_manage(self, owner: str) -> bool:
        """Owners manage their own resources; admins manage everyone's."""
        return self.is_admin or self.subject == owner


# The one table of which roles satisfy each policy: the services check it in the call pipeline and the
# edge generator turns it into Envoy's RBAC rules, so the two can never disagree. Admins pass customer
# and organizer policies so that support staff can act on behalf of users; INTERNAL is for service
# accounts only. PUBLIC needs no role; UNSPECIFIED admits nobody (fail closed).
ROLES_BY_POLICY: Mapping[CallerPolicy, frozenset[Role]] = {
    CallerPolicy.CUSTOMER: frozenset({Role.CUSTOMER, Role.ADMIN}),
    CallerPolicy.ORGANIZER: frozenset({Role.ORGANIZER, Role.ADMIN}),
    CallerPolicy.ADMIN: frozenset({Role.ADMIN}),
    CallerPolicy.INTERNAL: frozenset({Role.SERVICE}),
    CallerPolicy.GATE: frozenset({Role.GATE, Role.ADMIN}),
}


def authorize(policy: CallerPolicy, principal: Principal | None) -> None:
    """Raise unless the caller may call an RPC with this policy. Unknown policies fail closed."""
    if policy is CallerPolicy.PUBLIC:
        return
    if policy is CallerPolicy.UNSPECIFIED:
        raise DomainError(ErrorCode.ROLE_REQUIRED, "this method declares no caller policy")
    if principal is None:
        raise DomainError(ErrorCode.TOKEN_MISSING, "a bearer token is required")
    allowed = ROLES_BY_POLICY[policy]
    if not principal.roles & allowed:
        needed = ", ".join(sorted(allowed))
        raise DomainError(
            ErrorCode.ROLE_REQUIRED,
            f"this method needs one of the roles: {needed}",
            metadata={"required_roles": needed},
        )
