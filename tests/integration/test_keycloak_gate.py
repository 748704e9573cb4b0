"""The gate with real Keycloak tokens: an organizer opens a station for the demo gate user through the
REST edge, a customer buys, and the gate scans through the edge and with grpcurl; the first scan admits,
the next is a duplicate naming it, and a customer's token cannot scan."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import uuid
from pathlib import Path

import grpc
from apextick_client import bench

from devstack.purchase import buy
from tests.e2e.edge_support import Edge
from tests.integration import keycloak_support as kc
from tests.integration.test_keycloak_edge import Realm, realm, stack

__all__ = ["realm", "stack"]  # the module's fixtures: Keycloak, and a booking process behind Envoy
GRPCURL = Path(__file__).resolve().parents[2] / "var" / "bin" / "grpcurl"


def create_event(target: str, organizer: str, seats: int = 4) -> str:
    """A published event of the organizer's (over gRPC, as the benchmark makes them)."""

    async def create() -> str:
        async with grpc.aio.insecure_channel(target) as channel:
            event, _ = await bench.create_event(channel, organizer, seats)
        return event

    return asyncio.run(create())


def grpcurl_scan(target: str, token: str, station: str, code: str) -> dict[str, object]:
    body = json.dumps({"gateStation": station, "code": code, "scanNonce": str(uuid.uuid4())})
    done = subprocess.run(  # noqa: S603 - the pinned grpcurl, with the test's own arguments
        [str(GRPCURL), "-plaintext", "-H", f"authorization: Bearer {token}", "-d", body, target,
         "apextick.gates.v1.GateService/ScanTicket"],
        capture_output=True, check=True, timeout=30,
    )  # fmt: skip
    answer: dict[str, object] = json.loads(done.stdout)
    return answer


def test_a_gate_scans_through_the_edge_and_with_grpcurl(realm: Realm, stack: tuple[str, Edge]) -> None:
    target, edge = stack
    organizer, customer, gate = (
        realm.token(user)["access_token"] for user in ("organizer", "customer", "gate")
    )

    event = create_event(target, organizer)
    station = {"displayName": "North door", "staff": [kc.jwt_claims(gate)["sub"]]}
    opened = kc.http(f"{edge.rest}/v1/{event}/gateStations?requestId={uuid.uuid4()}", method="POST",
                     json_body=station, bearer=organizer)  # fmt: skip
    assert opened.status == 200, opened.body
    name = opened.json()["gateStation"]["name"]
    tickets = buy(edge.rest, customer, os.environ["APEXTICK_STRIPE_WEBHOOK_SECRET"], 2, event=event)[
        "tickets"
    ]
    first, second = (t["code"] for t in tickets)

    def rest_scan(token: str, code: str) -> kc.Reply:
        body = {"code": code, "scanNonce": str(uuid.uuid4())}
        return kc.http(f"{edge.rest}/v1/{name}:scan", method="POST", json_body=body, bearer=token)

    admitted = rest_scan(gate, first)
    assert admitted.status == 200, admitted.body
    assert admitted.json()["outcome"] == "SCAN_OUTCOME_ADMITTED"
    again = rest_scan(gate, first).json()
    assert (again["outcome"], again["firstGate"]) == ("SCAN_OUTCOME_DUPLICATE", name)
    assert again["firstAdmitTime"] == admitted.json()["firstAdmitTime"]
    refused = rest_scan(customer, second)
    assert refused.status == 403
    assert refused.json()["details"][0]["reason"] == "ACCESS_DENIED"  # Envoy's RBAC, before any service
    assert grpcurl_scan(target, gate, name, second)["outcome"] == "SCAN_OUTCOME_ADMITTED"
    assert grpcurl_scan(target, gate, name, second)["outcome"] == "SCAN_OUTCOME_DUPLICATE"


def test_dashboards_and_admin_refunds_through_the_edge(realm: Realm, stack: tuple[str, Edge]) -> None:
    target, edge = stack
    organizer, customer, admin = (
        realm.token(user)["access_token"] for user in ("organizer", "customer", "admin")
    )

    event = create_event(target, organizer)
    bought = buy(edge.rest, customer, os.environ["APEXTICK_STRIPE_WEBHOOK_SECRET"], 2, event=event)
    board = kc.http(f"{edge.rest}/v1/{event}/dashboard", bearer=organizer)
    assert board.status == 200, board.body
    assert board.json()["funnel"]["paid"] == 1
    [revenue] = board.json()["revenue"]
    assert int(revenue["netMinor"]) == int(bought["order"]["totalMinor"])
    export = kc.http(f"{edge.rest}/v1/{event}/attendees:export", bearer=organizer)
    assert export.status == 200
    assert export.headers["content-type"].startswith("text/csv")
    assert len(export.body.decode().strip().splitlines()) == 1 + 2  # the header and two tickets
    assert kc.http(f"{edge.rest}/v1/{event}/dashboard", bearer=customer).status == 403
    order = bought["order"]["name"]
    body = {"requestId": str(uuid.uuid4())}
    refunded = kc.http(f"{edge.rest}/v1/{order}:adminRefund", method="POST", json_body=body, bearer=admin)
    assert refunded.status == 200, refunded.body
    assert refunded.json()["order"]["state"] == "ORDER_STATE_REFUNDED"
    entries = kc.http(f"{edge.rest}/v1/auditEntries?pageSize=200", bearer=admin).json()["entries"]
    assert [e["action"] for e in entries if e["target"] == order] == ["AdminRefundOrder"]
