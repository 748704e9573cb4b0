"""Every error at the REST edge is a JSON google.rpc.Status with one ErrorInfo reason, whether Envoy
answers itself (no route, sizes, parse and type errors, tokens, roles) or a service does; none carries
an internal exception text."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import grpc
import pytest
from apextick.inventory.v1 import inventory_service_pb2 as inv
from apextick.inventory.v1 import inventory_service_pb2_grpc as inventory_grpc

from tests.e2e.conftest import Identity
from tests.e2e.edge_support import Edge, Reply, http
from tests.e2e.support import rich_error, rid

HOLD = "/v1/events/{event}/holds"


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: str
    body: object | None = None
    token: str | None = None  # "customer", "organizer" or a raw bad token
    headers: dict[str, str] | None = None
    status: int = 400
    reason: str = "INVALID_ARGUMENT"
    code: int = 3
    message: str = ""  # a part of the message, where the reason alone cannot tell who refused


CASES = [
    Case("no such route", "GET", "/v1/nowhere", status=404, reason="ROUTE_NOT_FOUND", code=5),
    Case("not even an API path", "GET", "/admin", status=404, reason="ROUTE_NOT_FOUND", code=5),
    Case("unknown query parameter", "GET", "/v1/events?unknownParameter=1"),
    Case("malformed JSON", "POST", "/v1/venues?requestId=r1", b'{"displayName": ', "organizer"),
    Case("a string where a message goes", "POST", "/v1/venues?requestId=r2", b'"a venue"', "organizer"),
    Case("a number where a string goes", "POST", "/v1/venues?requestId=r3", b'{"displayName": 5}',
         "organizer"),
    Case("an unknown field", "POST", "/v1/venues?requestId=r4", b'{"nonsense": 1}', "organizer"),
    Case("invalid UTF-8 in the body", "POST", "/v1/venues?requestId=r5", b'{"displayName": "\xff\xfe"}',
         "organizer"),
    Case("no token where one is needed", "POST", "/v1/venues?requestId=r6", {"displayName": "x"},
         status=401, reason="TOKEN_MISSING", code=16),
    Case("a garbage token", "GET", "/v1/events", token="not.a.token", status=401, reason="TOKEN_INVALID",
         code=16),
    Case("a customer on an organizer route", "POST", "/v1/venues?requestId=r7", {"displayName": "x"},
         "customer", status=403, reason="ACCESS_DENIED", code=7),
    Case("a body past the limit", "POST", "/v1/venues?requestId=r8", {"displayName": "x" * 70_000},
         "organizer", status=413, reason="REQUEST_TOO_LARGE"),
    Case("headers past the limit", "GET", "/v1/events", headers={"x-padding": "p" * 70_000}, status=431,
         reason="HEADERS_TOO_LARGE"),
    Case("a lone value where the contract says a list", "POST", f"/v1/events/{uuid.uuid4()}/holds",
         {"seatIds": "main-A-1", "requestId": str(uuid.uuid4())}, "customer",
         message="seatIds: a list is expected"),
    Case("a lone value under an escaped field name", "POST", f"/v1/events/{uuid.uuid4()}/holds",
         b'{"seat\\u0049ds": "main-A-1"}', "customer", message="seatIds: a list is expected"),
    Case("a lone value for a nested list", "POST", f"/v1/venues/{uuid.uuid4()}/seatMaps",
         {"displayName": "m", "sections": [{"sectionId": "s", "rows": {"rows": {"label": "A"}}}]},
         "organizer", message="sections[].rows.rows: a list is expected"),
    Case("a list where the contract says a list reaches the service", "POST",
         f"/v1/events/{uuid.uuid4()}/holds", {"seatIds": ["main-A-1"], "requestId": str(uuid.uuid4())},
         "customer", status=404, reason="EVENT_NOT_FOUND", code=5),
    Case("a service's own answer", "GET", f"/v1/events/{uuid.uuid4()}", status=404, reason="EVENT_NOT_FOUND",
         code=5),
]  # fmt: skip


def assert_status_shape(reply: Reply, case: Case) -> None:
    assert reply.status == case.status, (case.name, reply.status, reply.body[:300])
    assert reply.headers.get("content-type", "").startswith("application/json"), case.name
    status = reply.json()
    assert status["code"] == case.code, case.name
    assert isinstance(status["message"], str)
    assert case.message in status["message"], (case.name, status["message"])
    [info, *_] = status["details"]
    assert info["@type"] == "type.googleapis.com/google.rpc.ErrorInfo"
    assert (info["reason"], info["domain"]) == (case.reason, "apextick.dev"), case.name
    for leak in (b"Traceback", b"Exception", b'File "'):
        assert leak not in reply.body, case.name


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
async def test_malformed_requests_get_json_statuses_with_reasons(
    edge: Edge, identity: Identity, case: Case
) -> None:
    token = identity.token(case.token) if case.token in {"customer", "organizer"} else case.token
    path = case.path.replace("requestId=r", f"requestId={rid()}-")
    reply = await http(case.method, f"{edge.rest}{path}", case.body, token, case.headers)
    assert_status_shape(reply, case)


async def test_invalid_utf8_in_a_query_is_invalid_argument(edge: Edge) -> None:
    case = Case("invalid UTF-8 in a query", "GET", "/v1/events:search?query=%FF%FE")
    reply = await http("GET", f"{edge.rest}{case.path}")
    assert_status_shape(reply, case)


async def test_invalid_utf8_in_a_grpc_string_field_is_invalid_argument(booking_target: str) -> None:
    # SearchEventsRequest field 1 (query), a length-delimited string with bytes that are not UTF-8.
    raw = bytes([0x0A, 0x02, 0xFF, 0xFE])
    async with grpc.aio.insecure_channel(booking_target) as channel:
        call = channel.unary_unary(
            "/apextick.catalog.v1.CatalogService/SearchEvents",
            request_serializer=lambda body: body,
            response_deserializer=lambda body: body,
        )
        refused = await rich_error(call(raw))
    assert (refused.code, refused.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ARGUMENT")


async def test_the_native_grpc_listener_answers_its_refusals_with_the_same_reasons(
    edge: Edge, identity: Identity
) -> None:
    request = inv.HoldSeatsRequest(event=f"events/{uuid.uuid4()}", seat_ids=["main-A-1"], request_id=rid())
    async with grpc.aio.insecure_channel(edge.grpc) as channel:
        stub = inventory_grpc.InventoryServiceStub(channel)
        garbage = rich_error(stub.HoldSeats(request, metadata=(("authorization", "Bearer not.a.token"),)))
        refused = await garbage
    assert (refused.code, refused.reason) == (grpc.StatusCode.UNAUTHENTICATED, "TOKEN_INVALID")


async def test_a_request_with_hundreds_of_faults_is_answered_with_its_reason(
    edge: Edge, identity: Identity
) -> None:
    organizer = identity.token("organizer")
    venue_body = {"displayName": "Hall", "city": "Kandy", "countryCode": "LK", "timeZone": "Asia/Colombo"}
    created = await http("POST", f"{edge.rest}/v1/venues?requestId={rid()}", venue_body, organizer)
    venue = created.json()["venue"]
    bad_rows = {"rows": [{"label": "a", "seatCount": 0} for _ in range(200)]}
    sections = [{"sectionId": f"s{n}", "rows": bad_rows} for n in range(2)]
    body = {"displayName": "Too many faults", "sections": sections, "requestId": rid()}
    reply = await http("POST", f"{edge.rest}/v1/{venue['name']}/seatMaps", body, organizer)
    # 800 violations: the answer is still INVALID_ARGUMENT (not a 429 for oversized metadata).
    assert_status_shape(reply, Case("hundreds of faults", "POST", "", status=400))
    violations = reply.json()["details"][1]["fieldViolations"]
    assert len(violations) == 21
    assert violations[-1]["description"].startswith("and ")
