from __future__ import annotations

import pytest

from apextick_platform.errors import DomainError, ErrorCode
from apextick_platform.identity import CallerPolicy, Principal, Role, authorize


def who(*roles: Role) -> Principal:
    return Principal("sub", frozenset(roles))


@pytest.mark.parametrize(
    ("policy", "principal", "expected"),
    [
        (CallerPolicy.PUBLIC, None, None),
        (CallerPolicy.CUSTOMER, None, ErrorCode.TOKEN_MISSING),
        (CallerPolicy.CUSTOMER, who(Role.CUSTOMER), None),
        (CallerPolicy.ORGANIZER, who(Role.CUSTOMER), ErrorCode.ROLE_REQUIRED),
        (CallerPolicy.ORGANIZER, who(Role.ORGANIZER), None),
        (CallerPolicy.ORGANIZER, who(Role.ADMIN), None),
        (CallerPolicy.ADMIN, who(Role.ORGANIZER, Role.CUSTOMER), ErrorCode.ROLE_REQUIRED),
        (CallerPolicy.ADMIN, who(Role.ADMIN), None),
        (CallerPolicy.INTERNAL, who(Role.ADMIN), ErrorCode.ROLE_REQUIRED),
        (CallerPolicy.INTERNAL, who(Role.SERVICE), None),
        (CallerPolicy.UNSPECIFIED, who(Role.ADMIN), ErrorCode.ROLE_REQUIRED),
    ],
)
def test_policies(policy: CallerPolicy, principal: Principal | None, expected: ErrorCode | None) -> None:
    if expected is None:
        authorize(policy, principal)
        return
    with pytest.raises(DomainError) as caught:
        authorize(policy, principal)
    assert caught.value.code is expected


def test_owners_and_admins_manage() -> None:
    assert who(Role.ORGANIZER).can_manage("sub")
    assert not who(Role.ORGANIZER).can_manage("other")
    assert who(Role.ADMIN).can_manage("other")
