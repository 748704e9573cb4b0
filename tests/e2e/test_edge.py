"""REST and native gRPC through a real Envoy: transcoding, JSON errors, tokens, roles, rate limits,
CORS, the body limit, unknown paths, and key rotation picked up without a restart."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import grpc
from apextick.inventory.v1 import inventory_service_pb2 as inv
from apextick.inventory.v1 import inventory_service_pb2_grpc as inventory_grpc

from devstack.identity import SigningKey
from tests.e2e.conftest import Identity
from tests.e2e.edge_support import Edge, http
from tests.e2e.support import build_event, rid


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def bad_tokens(identity: Identity) -> dict[str, str]:
    now = int(time.time())
    good = identity.token("customer")
    header, payload, signature = good.split(".")
    signing_input = f"{b64({'alg': 'HS256', 'kid': identity.key.kid})}.{payload}"
    mac = hmac.new(identity.key.public_pem, signing_input.encode(), hashlib.sha256).digest()
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    return {
        "alg none": b64({"alg": "none", "kid": identity.key.kid}) + "." + payload + ".",
        "HS256 with the public key": signing_input + "." + base64.urlsafe_b64encode(mac).decode().rstrip("="),
        "expired": identity.token("customer", exp=now - 600, iat=now - 1200, nbf=now - 1200),
        "not yet valid": identity.token("customer", nbf=now + 3600),
        "wrong issuer": identity.token("customer", iss="http://evil.example/realms/apextick"),
        "wrong audience": identity.token("customer", aud="account"),
        "missing audience": identity.token("customer", aud=None),
        "unknown kid": SigningKey.generate().sign(claims),
        "tampered": f"{header}.{b64({**claims, 'realm_access': {'roles': ['admin']}})}.{signature}",
    }


async def test_browse_and_hold_over_rest(catalog: Any, identity: Identity, edge: Edge) -> None:
    built = await build_event(
        catalog, identity.auth("organizer"), f"Rest {uuid.uuid4().hex[:6]}", rows=2, per_row=5
    )
    listed = await http("GET", f"{edge.rest}/v1/events?pageSize=200")
    assert listed.status == 200
    assert built.event.name in {e["name"] for e in listed.json()["events"]}
    seats = await http("GET", f"{edge.rest}/v1/{built.event.name}/seats")
    assert seats.status == 200
    assert len(seats.json()["seats"]) == 10
    assert seats.json()["availableCount"] == 10

    token = identity.token("customer")
    held = await http(
        "POST",
        f"{edge.rest}/v1/{built.event.name}/holds",
        {"seatIds": ["main-A-1"], "requestId": rid()},
        token,
    )
    assert held.status == 200, held.body
    hold = held.json()["hold"]
    assert hold["seats"][0]["priceMinor"] == "50000"  # int64 fields are JSON strings

    rival = await http(
        "POST",
        f"{edge.rest}/v1/{built.event.name}/holds",
        {"seatIds": ["main-A-1"], "requestId": rid()},
        identity.token("customer"),
    )
    assert rival.status == 409
    error = rival.json()
    assert error["details"][0]["reason"] == "SEAT_UNAVAILABLE"
    assert error["details"][0]["metadata"]["seats"] == "main-A-1"

    released = await http("POST", f"{edge.rest}/v1/{hold['name']}:release", {"requestId": rid()}, token)
    assert (released.status, released.json()["hold"]["state"]) == (200, "HOLD_STATE_RELEASED")


async def test_events_are_filtered_by_price_and_seats_left_over_rest(
    catalog: Any, identity: Identity, edge: Edge
) -> None:
    title = f"Filtered {uuid.uuid4().hex[:6]}"
    built = await build_event(catalog, identity.auth("organizer"), title, rows=1, per_row=1)
    search = f"{edge.rest}/v1/events:search?query={title.split()[1]}"

    def names(reply: Any) -> set[str]:
        return {e["name"] for e in reply.json().get("events", [])}

    assert names(await http("GET", f"{search}&filter.maxPriceMinor=50000")) == {built.event.name}
    assert names(await http("GET", f"{search}&filter.maxPriceMinor=49999")) == set()
    assert names(await http("GET", f"{search}&filter.availableOnly=true")) == {built.event.name}
    held = await http("POST", f"{edge.rest}/v1/{built.event.name}/holds",
                      {"seatIds": ["main-A-1"], "requestId": rid()}, identity.token("customer"))  # fmt: skip
    assert held.status == 200, held.body
    assert names(await http("GET", f"{search}&filter.availableOnly=true")) == set()  # its one seat is held
    negative = await http("GET", f"{search}&filter.maxPriceMinor=-1")
    assert (negative.status, negative.json()["details"][0]["reason"]) == (400, "INVALID_ARGUMENT")


async def test_rest_errors_are_json_with_reasons_and_never_traces(edge: Edge, identity: Identity) -> None:
    missing = await http("GET", f"{edge.rest}/v1/events/{uuid.uuid4()}")
    assert missing.status == 404
    assert missing.json()["details"][0]["reason"] == "EVENT_NOT_FOUND"
    assert (await http("GET", f"{edge.rest}/v1/events?unknownParameter=1")).status == 400
    assert (await http("GET", f"{edge.rest}/v1/nowhere")).status == 404
    assert (await http("GET", f"{edge.rest}/admin")).status == 404
    invalid = await http(
        "POST",
        f"{edge.rest}/v1/venues",
        {"displayName": "x", "countryCode": "lk"},
        identity.token("organizer"),
    )
    assert invalid.status == 400
    assert {v["field"] for v in invalid.json()["details"][1]["fieldViolations"]} >= {"request_id"}
    for reply in (missing, invalid):
        assert b"Traceback" not in reply.body


async def test_tokens_are_checked_at_the_edge(edge: Edge, identity: Identity) -> None:
    for name, token in bad_tokens(identity).items():
        public = await http("GET", f"{edge.rest}/v1/events", token=token)
        protected = await http(
            "POST", f"{edge.rest}/v1/venues?requestId={rid()}", {"displayName": "x"}, token
        )
        # Envoy answers 403 for an audience problem and 401 for everything else.
        expected = 403 if "audience" in name else 401
        assert (public.status, protected.status) == (expected, expected), name
    anonymous = await http("POST", f"{edge.rest}/v1/venues?requestId={rid()}", {"displayName": "x"})
    assert anonymous.status == 401


async def test_roles_gate_organizer_routes(edge: Edge, identity: Identity) -> None:
    body = {"displayName": "Hall", "city": "Kandy", "countryCode": "LK", "timeZone": "Asia/Colombo"}
    customer = await http(
        "POST", f"{edge.rest}/v1/venues?requestId={rid()}", body, identity.token("customer")
    )
    assert customer.status == 403
    organizer = await http(
        "POST", f"{edge.rest}/v1/venues?requestId={rid()}", body, identity.token("organizer")
    )
    assert organizer.status == 200
    admin = await http("POST", f"{edge.rest}/v1/venues?requestId={rid()}", body, identity.token("admin"))
    assert admin.status == 200


async def test_the_hold_route_is_rate_limited_per_customer(
    catalog: Any, edge: Edge, identity: Identity
) -> None:
    built = await build_event(catalog, identity.auth("organizer"), "Flooded", rows=1, per_row=20)
    flooder, bystander = identity.token("customer"), identity.token("customer")
    url = f"{edge.rest}/v1/{built.event.name}/holds"
    replies = [
        await http("POST", url, {"seatIds": [f"main-A-{n}"], "requestId": rid()}, flooder)
        for n in range(1, 9)
    ]
    limited = [r for r in replies if r.status == 429]
    assert limited, [r.status for r in replies]
    assert {"x-ratelimit-limit", "x-ratelimit-remaining"} <= set(limited[0].headers)
    other = await http("POST", url, {"seatIds": ["main-A-20"], "requestId": rid()}, bystander)
    assert other.status == 200  # one account's flood does not lock others out


async def test_native_grpc_listener_checks_tokens_and_limits(
    catalog: Any, edge: Edge, identity: Identity
) -> None:
    built = await build_event(catalog, identity.auth("organizer"), "Native", rows=1, per_row=20)
    async with grpc.aio.insecure_channel(edge.grpc) as channel:
        stub = inventory_grpc.InventoryServiceStub(channel)
        auth = (("authorization", f"Bearer {identity.token('customer')}"),)
        codes = []
        for n in range(1, 9):
            try:
                await stub.HoldSeats(
                    inv.HoldSeatsRequest(event=built.event.name, seat_ids=[f"main-A-{n}"], request_id=rid()),
                    metadata=auth,
                )
                codes.append(grpc.StatusCode.OK)
            except grpc.aio.AioRpcError as error:
                codes.append(error.code())
        assert grpc.StatusCode.OK in codes
        assert grpc.StatusCode.RESOURCE_EXHAUSTED in codes
        bad = (("authorization", f"Bearer {bad_tokens(identity)['expired']}"),)
        try:
            await stub.HoldSeats(
                inv.HoldSeatsRequest(event=built.event.name, seat_ids=["main-A-20"], request_id=rid()),
                metadata=bad,
            )
        except grpc.aio.AioRpcError as error:
            assert error.code() == grpc.StatusCode.UNAUTHENTICATED
        else:
            raise AssertionError("an expired token passed the gRPC listener")


async def test_cors_preflight_and_body_limit(edge: Edge, identity: Identity) -> None:
    origin = edge.settings.web_origin
    preflight = await http("OPTIONS", f"{edge.rest}/v1/venues", headers={
        "origin": origin, "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type"})  # fmt: skip
    assert preflight.headers.get("access-control-allow-origin") == origin
    hostile = await http("OPTIONS", f"{edge.rest}/v1/venues", headers={
        "origin": "http://evil.example", "access-control-request-method": "POST"})  # fmt: skip
    assert "access-control-allow-origin" not in hostile.headers
    huge = {"displayName": "x" * (edge.settings.max_body_bytes + 10)}
    too_big = await http(
        "POST", f"{edge.rest}/v1/venues?requestId={rid()}", huge, identity.token("organizer")
    )
    assert too_big.status == 413


async def test_a_rotated_key_is_picked_up_by_edge_and_service_without_restart(
    edge: Edge, identity: Identity
) -> None:
    rotated = SigningKey.generate()
    identity.server.keys = [identity.key, rotated]
    try:
        claims = json.loads(base64.urlsafe_b64decode(identity.token("organizer").split(".")[1] + "=="))
        token = rotated.sign(claims)
        deadline = time.monotonic() + 15
        status = 0
        while time.monotonic() < deadline:
            status = (await http("GET", f"{edge.rest}/v1/events?organizer=me", token=token)).status
            if status == 200:
                break
            await asyncio.sleep(0.5)
        assert status == 200  # Envoy refetched the JWKS on its timer, the service on the unknown kid
    finally:
        identity.server.keys = [identity.key]


async def test_the_same_token_matrix_is_refused_by_the_service_itself(
    identity: Identity, inventory: Any
) -> None:
    """Straight to the booking port, past Envoy: the service checks every token again."""
    for name, token in bad_tokens(identity).items():
        request = inv.HoldSeatsRequest(
            event=f"events/{uuid.uuid4()}", seat_ids=["main-A-1"], request_id=rid()
        )
        try:
            await inventory.HoldSeats(request, metadata=(("authorization", f"Bearer {token}"),))
        except grpc.aio.AioRpcError as error:
            assert error.code() == grpc.StatusCode.UNAUTHENTICATED, name
        else:
            raise AssertionError(f"{name}: accepted by the service")
