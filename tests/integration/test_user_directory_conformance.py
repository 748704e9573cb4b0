"""The UserDirectory port on real Keycloak (its admin API, called as the confidential service client
with the realm-management roles the realm's code grants it) and on the in-memory fake alike: search by
username and email in pages, set-like role changes, disabling keeps the rest of the account, unknown
ids; and Keycloak away or refusing the client is IDENTITY_UNAVAILABLE."""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from apextick_platform.errors import DomainError, ErrorCode
from apextick_platform.identity import Role
from booking.adapters.keycloak_users import DirectorySettings, KeycloakUsers
from booking.domain.user import UserAccount
from booking.service_layer.user_ports import UserDirectory
from tests.e2e.edge_support import free_port
from tests.fakes.users import FakeUsers
from tests.integration import keycloak_support as kc

pytestmark = pytest.mark.integration


@dataclass
class Directory:
    port: UserDirectory
    add: Callable[[str], str]  # username -> id


def keycloak_settings(**changes: str) -> DirectorySettings:
    base = os.environ.get("APEXTICK_KEYCLOAK_URL", "")
    if not base:
        pytest.fail("APEXTICK_KEYCLOAK_URL is not set: run `make test`, which starts Keycloak")
    values = {"base_url": base, "client_secret": os.environ["APEXTICK_SERVICE_CLIENT_SECRET"], **changes}
    return DirectorySettings(**values)  # type: ignore[arg-type]


@pytest.fixture(params=["memory", "keycloak"])
async def directory(request: pytest.FixtureRequest) -> AsyncIterator[Directory]:
    if request.param == "memory":
        fake = FakeUsers()

        def add_fake(username: str) -> str:
            user_id = str(uuid.uuid4())
            fake.accounts[user_id] = UserAccount(user_id, username, f"{username}@example.test", True,
                                                 username.title(), "Tester", True, frozenset(),
                                                 datetime.now(UTC))  # fmt: skip
            return user_id

        yield Directory(fake, add_fake)
        return
    settings = keycloak_settings()
    admin = kc.admin_token(settings.base_url, os.environ.get("APEXTICK_KEYCLOAK_ADMIN_USER", "admin"),
                           os.environ["APEXTICK_KEYCLOAK_ADMIN_PASSWORD"])  # fmt: skip
    made: list[str] = []

    def add_real(username: str) -> str:
        made.append(kc.create_user(settings.base_url, admin, username, secrets.token_hex(12)))
        return made[-1]

    users = KeycloakUsers(settings)
    try:
        yield Directory(users, add_real)
    finally:
        await users.close()
        for user_id in made:
            kc.delete_user(settings.base_url, admin, user_id)


async def test_users_are_searched_in_pages_by_username_and_email(directory: Directory) -> None:
    prefix = f"t{secrets.token_hex(4)}"
    alice, bob = directory.add(f"{prefix}-alice"), directory.add(f"{prefix}-bob")
    both = await directory.port.search(prefix, 0, 10)
    assert [(u.id, u.username) for u in both] == [(alice, f"{prefix}-alice"), (bob, f"{prefix}-bob")]
    assert (both[0].email, both[0].first_name, both[0].enabled, both[0].roles) == (
        f"{prefix}-alice@example.test", f"{prefix.title()}-Alice", True, frozenset()
    )  # fmt: skip
    assert [u.id for u in await directory.port.search(prefix, 1, 1)] == [bob]
    assert [u.id for u in await directory.port.search(f"{prefix}-bob@example", 0, 10)] == [bob]
    assert await directory.port.search("service-account-apextick", 0, 10) == []  # machines are not people
    assert await directory.port.get(str(uuid.uuid4())) is None


async def test_role_changes_are_set_like_and_disabling_keeps_the_account(directory: Directory) -> None:
    user = directory.add(f"t{secrets.token_hex(4)}-carol")
    for _ in range(2):
        await directory.port.grant(user, Role.GATE)
    await directory.port.grant(user, Role.ORGANIZER)
    granted = await directory.port.get(user)
    assert granted is not None
    assert granted.roles == {Role.GATE, Role.ORGANIZER}
    for _ in range(2):
        await directory.port.revoke(user, Role.GATE)
    await directory.port.set_enabled(user, enabled=False)
    after = await directory.port.get(user)
    assert after is not None
    assert (after.roles, after.enabled) == (frozenset({Role.ORGANIZER}), False)
    assert (after.email, after.first_name, after.last_name, after.email_verified) == (
        granted.email, granted.first_name, granted.last_name, True,
    )  # fmt: skip
    unknown = str(uuid.uuid4())
    for change in (
        directory.port.grant(unknown, Role.GATE),
        directory.port.revoke(unknown, Role.GATE),
        directory.port.set_enabled(unknown, enabled=False),
    ):
        with pytest.raises(DomainError) as refused:
            await change
        assert refused.value.code is ErrorCode.USER_NOT_FOUND


@pytest.mark.parametrize("fault", ["nobody listening", "wrong secret"])
async def test_keycloak_away_or_refusing_the_client_is_identity_unavailable(fault: str) -> None:
    settings = (
        keycloak_settings(base_url=f"http://127.0.0.1:{free_port()}")
        if fault == "nobody listening"
        else keycloak_settings(client_secret=secrets.token_hex(16))
    )
    users = KeycloakUsers(settings)
    try:
        with pytest.raises(DomainError) as refused:
            await users.search("", 0, 5)
        assert refused.value.code is ErrorCode.IDENTITY_UNAVAILABLE
        assert settings.client_secret not in refused.value.message
    finally:
        await users.close()
