"""Admins manage users on a fake directory through the real composition root: changes are made once
and audited once per request id (five concurrent retries included), a replay never undoes a later
change, and bad requests (unknown user, a role not granted here, disabling oneself, a reused request
id, the provider away) are refused with nothing changed or written."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest

from apextick_platform.errors import DomainError, ErrorCode
from apextick_platform.identity import Principal, Role
from booking.bootstrap import Container
from booking.domain.user import UserAccount
from tests.fakes.order_refunds import FakeOrderRefunds
from tests.fakes.users import FakeUsers
from tests.unit.fake_container import assemble


def account(username: str, *roles: Role) -> UserAccount:
    email = f"{username}@example.test"
    return UserAccount(str(uuid.uuid4()), username, email, True, username.title(), "Tester", True,
                       frozenset(roles), datetime(2026, 1, 1, tzinfo=UTC))  # fmt: skip


ADMIN_ACCOUNT = account("ada-admin", Role.ADMIN)
ADMIN = Principal(ADMIN_ACCOUNT.id, frozenset({Role.ADMIN, Role.CUSTOMER}))


def admin_world(*accounts: UserAccount) -> tuple[Container, FakeUsers, FakeOrderRefunds]:
    container, world = assemble()
    users = world.ports.users
    assert isinstance(users, FakeUsers)
    for a in (ADMIN_ACCOUNT, *accounts):
        users.accounts[a.id] = a
    audit = world.ports.audit
    assert isinstance(audit, FakeOrderRefunds)
    return container, users, audit


async def test_a_grant_retried_five_times_at_once_is_made_and_audited_once() -> None:
    bob = account("bob")
    container, users, audit = admin_world(bob)
    request = str(uuid.uuid4())
    answers = await asyncio.gather(
        *(container.users.grant(ADMIN, bob.id, Role.ORGANIZER, request) for _ in range(5))
    )
    assert {a.roles for a in answers} == {frozenset({Role.ORGANIZER})}
    assert users.changes == 1
    entries = [(e.actor, e.action, e.target, e.request_id) for e in audit.audit]
    assert entries == [(ADMIN.subject, "GrantRole", f"users/{bob.id}", request)]


async def test_a_late_replay_answers_the_user_as_it_is_and_undoes_nothing() -> None:
    bob = account("bob")
    container, users, _ = admin_world(bob)
    grant = str(uuid.uuid4())
    await container.users.grant(ADMIN, bob.id, Role.GATE, grant)
    await container.users.revoke(ADMIN, bob.id, Role.GATE, str(uuid.uuid4()))  # another admin's change
    replayed = await container.users.grant(ADMIN, bob.id, Role.GATE, grant)
    assert Role.GATE not in replayed.roles
    assert users.changes == 2


async def test_disabling_and_enabling_are_set_like_and_each_audited() -> None:
    bob = account("bob")
    container, users, audit = admin_world(bob)
    off = await container.users.set_enabled(ADMIN, bob.id, str(uuid.uuid4()), enabled=False)
    again = await container.users.set_enabled(ADMIN, bob.id, str(uuid.uuid4()), enabled=False)
    on = await container.users.set_enabled(ADMIN, bob.id, str(uuid.uuid4()), enabled=True)
    assert (off.enabled, again.enabled, on.enabled) == (False, False, True)
    assert users.changes == 2
    assert [e.action for e in audit.audit] == ["DisableUser", "DisableUser", "EnableUser"]


@pytest.mark.parametrize("case", ["unknown user", "admin role", "customer role", "self disable", "reused id"])
async def test_bad_requests_change_and_write_nothing(case: str) -> None:
    bob, carol = account("bob"), account("carol")
    container, users, audit = admin_world(bob, carol)
    reused = str(uuid.uuid4())
    await container.users.grant(ADMIN, carol.id, Role.GATE, reused)
    before, written = dict(users.accounts), len(audit.audit)
    calls = {
        "unknown user": lambda: container.users.grant(ADMIN, str(uuid.uuid4()), Role.GATE, str(uuid.uuid4())),
        "admin role": lambda: container.users.grant(ADMIN, bob.id, Role.ADMIN, str(uuid.uuid4())),
        "customer role": lambda: container.users.revoke(ADMIN, bob.id, Role.CUSTOMER, str(uuid.uuid4())),
        "self disable": lambda: container.users.set_enabled(
            ADMIN, ADMIN.subject, str(uuid.uuid4()), enabled=False
        ),
        "reused id": lambda: container.users.grant(ADMIN, bob.id, Role.GATE, reused),
    }
    expected = {
        "unknown user": ErrorCode.USER_NOT_FOUND,
        "admin role": ErrorCode.INVALID_ARGUMENT,
        "customer role": ErrorCode.INVALID_ARGUMENT,
        "self disable": ErrorCode.SELF_CHANGE_REFUSED,
        "reused id": ErrorCode.REQUEST_ID_REUSED,
    }
    with pytest.raises(DomainError) as refused:
        await calls[case]()
    assert refused.value.code is expected[case]
    assert users.accounts == before
    assert len(audit.audit) == written


async def test_the_provider_away_is_identity_unavailable_and_nothing_is_audited() -> None:
    bob = account("bob")
    container, users, audit = admin_world(bob)
    users.down = True
    with pytest.raises(DomainError) as refused:
        await container.users.grant(ADMIN, bob.id, Role.GATE, str(uuid.uuid4()))
    assert refused.value.code is ErrorCode.IDENTITY_UNAVAILABLE
    assert audit.audit == []


async def test_users_are_searched_and_paged_with_tokens_bound_to_the_query() -> None:
    people = [account(f"fan-{n:02d}") for n in range(7)]
    container, _, _ = admin_world(*people, account("someone-else"))
    seen, token = [], ""
    while True:
        page = await container.users.list_users("fan-", 3, token)
        seen += [u.username for u in page.items]
        if not (token := page.next_page_token):
            break
    assert seen == [p.username for p in people]
    first = await container.users.list_users("fan-", 3, "")
    with pytest.raises(DomainError) as refused:
        await container.users.list_users("other", 3, first.next_page_token)
    assert refused.value.code is ErrorCode.PAGE_TOKEN_INVALID
