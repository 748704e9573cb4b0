"""Admins and object-level access through the REST edge with real Keycloak tokens, and with grpcurl.

An admin finds a user, grants them the organizer role (five concurrent retries: one change, one audit
entry), disables them (they can no longer sign in), and bad requests get their reasons. Then every new
object of the gate, sales and admin views is asked for by someone it does not belong to: a second
organizer, a gate not staffed at the station, a customer, each answered as if it did not exist (or by
Envoy's RBAC when the role itself is wrong), while its owner is served."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import uuid
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from apextick_client.client import ApexTick
from apextick_client.errors import ApexTickError

from devstack.purchase import buy
from tests.e2e.edge_support import Edge
from tests.integration import keycloak_support as kc
from tests.integration.test_keycloak_edge import Realm, realm, stack
from tests.integration.test_keycloak_gate import GRPCURL, create_event

__all__ = ["realm", "stack"]


@dataclass(frozen=True)
class Person:
    id: str
    username: str
    password: str


@pytest.fixture
def stranger(realm: Realm) -> Iterator[Person]:
    """A fresh realm user (customer only), deleted afterwards."""
    admin = kc.admin_token(realm.url, *realm.admin)
    username, password = f"t{secrets.token_hex(4)}-stranger", secrets.token_hex(12)
    user_id = kc.create_user(realm.url, admin, username, password)
    try:
        yield Person(user_id, username, password)
    finally:
        kc.delete_user(realm.url, kc.admin_token(realm.url, *realm.admin), user_id)


def token_of(realm: Realm, person: Person) -> str:
    return str(kc.password_grant(realm.url, person.username, person.password)["access_token"])


def post(edge: Edge, path: str, body: Mapping[str, object], token: str) -> kc.Reply:
    return kc.http(f"{edge.rest}/v1/{path}", method="POST", json_body=body, bearer=token)


def reason(reply: kc.Reply) -> str:
    return str(reply.json()["details"][0]["reason"])


def test_an_admin_manages_a_user_through_the_edge_and_grpcurl(
    realm: Realm, stack: tuple[str, Edge], stranger: Person
) -> None:
    target, edge = stack
    admin, customer = (realm.token(user)["access_token"] for user in ("admin", "customer"))
    listed = kc.http(f"{edge.rest}/v1/users?query={stranger.username}", bearer=admin)
    assert listed.status == 200, listed.body
    [found] = listed.json()["users"]
    assert (found["name"], found["enabled"], found.get("roles", [])) == (f"users/{stranger.id}", True, [])
    assert kc.http(f"{edge.rest}/v1/users", bearer=customer).status == 403  # Envoy's RBAC
    user = f"users/{stranger.id}"
    grant = {"role": "GRANTABLE_ROLE_ORGANIZER", "requestId": str(uuid.uuid4())}
    with ThreadPoolExecutor(5) as pool:
        answers = list(pool.map(lambda _: post(edge, f"{user}:grantRole", grant, admin), range(5)))
    assert {a.status for a in answers} == {200}, [a.body for a in answers]
    assert {tuple(a.json()["user"]["roles"]) for a in answers} == {("organizer",)}
    entries = kc.http(f"{edge.rest}/v1/auditEntries?pageSize=200", bearer=admin).json()["entries"]
    assert [(e["action"], e["requestId"]) for e in entries if e["target"] == user] == [
        ("GrantRole", grant["requestId"])
    ]
    roles = kc.jwt_claims(token_of(realm, stranger))["realm_access"]["roles"]
    assert "organizer" in roles
    unknown = post(edge, f"users/{uuid.uuid4()}:grantRole", {**grant, "requestId": str(uuid.uuid4())}, admin)
    assert (unknown.status, reason(unknown)) == (404, "USER_NOT_FOUND")
    admin_role = post(edge, f"{user}:grantRole", {"role": "GRANTABLE_ROLE_UNSPECIFIED",
                                                   "requestId": str(uuid.uuid4())}, admin)  # fmt: skip
    assert (admin_role.status, reason(admin_role)) == (400, "INVALID_ARGUMENT")
    me = kc.jwt_claims(admin)["sub"]
    self_off = post(edge, f"users/{me}:setEnabled", {"enabled": False, "requestId": str(uuid.uuid4())}, admin)
    assert (self_off.status, reason(self_off)) == (400, "SELF_CHANGE_REFUSED")
    off = post(edge, f"{user}:setEnabled", {"enabled": False, "requestId": str(uuid.uuid4())}, admin)
    assert (off.status, off.json()["user"]["enabled"]) == (200, False)
    with pytest.raises(kc.TokenError):
        token_of(realm, stranger)  # a disabled account cannot sign in
    done = subprocess.run(  # noqa: S603 - the pinned grpcurl, with the test's own arguments
        [str(GRPCURL), "-plaintext", "-H", f"authorization: Bearer {admin}", "-d",
         json.dumps({"name": user}), target, "apextick.admin.v1.AdminService/GetUser"],
        capture_output=True, check=True, timeout=30,
    )  # fmt: skip
    got = json.loads(done.stdout)["user"]
    assert (got["username"], got.get("enabled", False)) == (stranger.username, False)  # JSON omits false
    over_rest, over_grpc = (
        ApexTick(rest_url=edge.rest, token=admin),
        ApexTick(grpc_target=target, token=admin),
    )
    try:  # the SDK, both ways
        assert [u["name"] for u in over_rest.list_users(stranger.username)] == [user]
        assert over_grpc.set_user_enabled(user, enabled=True)["enabled"] is True
        assert over_rest.grant_role(user, "gate")["roles"] == ["gate", "organizer"]
        with pytest.raises(ApexTickError) as missing:
            over_grpc.grant_role(f"users/{uuid.uuid4()}", "gate")
        assert missing.value.reason == "USER_NOT_FOUND"
    finally:
        over_rest.close()
        over_grpc.close()


def test_nobody_reaches_objects_that_are_not_theirs(
    realm: Realm, stack: tuple[str, Edge], stranger: Person
) -> None:
    target, edge = stack
    organizer, customer, gate, admin = (
        realm.token(user)["access_token"] for user in ("organizer", "customer", "gate", "admin")
    )
    for role in ("GRANTABLE_ROLE_ORGANIZER", "GRANTABLE_ROLE_GATE"):  # a second organizer, and a gate
        granted = post(edge, f"users/{stranger.id}:grantRole",
                       {"role": role, "requestId": str(uuid.uuid4())}, admin)  # fmt: skip
        assert granted.status == 200, granted.body
    other = token_of(realm, stranger)

    event = create_event(target, organizer)
    staff = {"displayName": "Door", "staff": [kc.jwt_claims(gate)["sub"]]}
    station = post(edge, f"{event}/gateStations?requestId={uuid.uuid4()}", staff, organizer).json()
    station_name = station["gateStation"]["name"]
    bought = buy(edge.rest, customer, os.environ["APEXTICK_STRIPE_WEBHOOK_SECRET"], 1, event=event)
    order, code = bought["order"]["name"], bought["tickets"][0]["code"]
    reads = [f"{event}/dashboard", f"{event}/attendees", f"{event}/attendees:export", f"{event}/orders",
             f"{event}/gateStations", f"{event}/scanConflicts"]  # fmt: skip
    for path in reads:
        assert kc.http(f"{edge.rest}/v1/{path}", bearer=organizer).status == 200, path  # the owner is served
        refused = kc.http(f"{edge.rest}/v1/{path}", bearer=other)
        assert (refused.status, reason(refused)) == (404, "EVENT_NOT_FOUND"), path
        assert kc.http(f"{edge.rest}/v1/{path}", bearer=customer).status == 403, path  # no organizer role
    refund = post(edge, f"{order}:organizerRefund", {"requestId": str(uuid.uuid4())}, other)
    assert (refund.status, reason(refund)) == (404, "ORDER_NOT_FOUND")
    bundle = kc.http(f"{edge.rest}/v1/{station_name}/offlineBundle", bearer=other)
    assert (bundle.status, reason(bundle)) == (404, "GATE_NOT_FOUND")  # a gate not staffed here
    scan = post(edge, f"{station_name}:scan", {"code": code, "scanNonce": str(uuid.uuid4())}, other)
    assert (scan.status, reason(scan)) == (404, "GATE_NOT_FOUND")
    assert (
        kc.http(f"{edge.rest}/v1/{event}/dashboard", bearer=gate).status == 403
    )  # a gate reads no dashboard
    peek = kc.http(f"{edge.rest}/v1/{order}", bearer=other)  # another customer's order
    assert (peek.status, reason(peek)) == (404, "ORDER_NOT_FOUND")
    assert kc.http(f"{edge.rest}/v1/{order}", bearer=admin).status == 200  # admins read every order
    for path in ("orders:search", "users", "auditEntries"):
        assert kc.http(f"{edge.rest}/v1/{path}", bearer=organizer).status == 403, path
    searched = kc.http(f"{edge.rest}/v1/orders:search?event={event}", bearer=admin)
    assert [o["name"] for o in searched.json()["orders"]] == [order]
