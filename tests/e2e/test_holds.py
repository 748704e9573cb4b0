"""Holds through the real gRPC server: the rules, ownership, retries, limits and the live map."""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING

import grpc
import psycopg
from apextick.catalog.v1 import catalog_service_pb2 as cat
from apextick.catalog.v1 import catalog_service_pb2_grpc as catalog_grpc
from apextick.catalog.v1 import event_pb2
from apextick.inventory.v1 import hold_pb2
from apextick.inventory.v1 import inventory_service_pb2 as inv
from apextick.inventory.v1 import inventory_service_pb2_grpc as inventory_grpc

from tests.e2e.conftest import Identity
from tests.e2e.support import build_event, rich_error, rid

if TYPE_CHECKING:  # the async stub classes exist only in the .pyi stubs
    Catalog = catalog_grpc.CatalogServiceAsyncStub
    Inventory = inventory_grpc.InventoryServiceAsyncStub


def hold_request(event: str, *seats: str, request_id: str | None = None) -> inv.HoldSeatsRequest:
    return inv.HoldSeatsRequest(event=event, seat_ids=list(seats), request_id=request_id or rid())


async def test_hold_get_and_release(catalog: Catalog, inventory: Inventory, identity: Identity) -> None:
    built = await build_event(catalog, identity.auth("organizer"), "Holdable", rows=2, per_row=5)
    me = identity.auth("customer", subject=f"c-{uuid.uuid4().hex[:6]}")
    hold = (
        await inventory.HoldSeats(hold_request(built.event.name, "main-B-2", "main-A-1"), metadata=me)
    ).hold
    assert hold.state == hold_pb2.HOLD_STATE_ACTIVE
    assert [(s.seat_id, s.price_tier_id, s.price_minor) for s in hold.seats] == [
        ("main-A-1", "vip", 500_00),
        ("main-B-2", "standard", 200_00),
    ]
    assert (hold.total_minor, hold.currency_code) == (700_00, "LKR")
    assert hold.expire_time.seconds > hold.create_time.seconds

    seat_map = await catalog.GetEventSeatMap(cat.GetEventSeatMapRequest(event=built.event.name))
    assert (seat_map.held_count, seat_map.available_count) == (2, 8)

    other = identity.auth("customer")
    for call in (
        inventory.GetHold(inv.GetHoldRequest(name=hold.name), metadata=other),
        inventory.ReleaseHold(inv.ReleaseHoldRequest(name=hold.name, request_id=rid()), metadata=other),
    ):
        error = await rich_error(call)
        assert (error.code, error.reason) == (grpc.StatusCode.NOT_FOUND, "HOLD_NOT_FOUND")

    assert (await inventory.GetHold(inv.GetHoldRequest(name=hold.name), metadata=me)).hold == hold
    released = (
        await inventory.ReleaseHold(inv.ReleaseHoldRequest(name=hold.name, request_id=rid()), metadata=me)
    ).hold
    assert released.state == hold_pb2.HOLD_STATE_RELEASED
    again = (
        await inventory.ReleaseHold(inv.ReleaseHoldRequest(name=hold.name, request_id=rid()), metadata=me)
    ).hold
    assert again.state == hold_pb2.HOLD_STATE_RELEASED
    seat_map = await catalog.GetEventSeatMap(cat.GetEventSeatMapRequest(event=built.event.name))
    assert seat_map.available_count == 10

    retaken = await inventory.HoldSeats(hold_request(built.event.name, "main-A-1"), metadata=other)
    assert retaken.hold.seats[0].seat_id == "main-A-1"


async def test_bad_hold_requests(catalog: Catalog, inventory: Inventory, identity: Identity) -> None:
    auth = identity.auth("organizer")
    built = await build_event(catalog, auth, "Strict", rows=1, per_row=6)
    other = await build_event(catalog, auth, "Elsewhere", rows=1, per_row=2)
    draft = await build_event(catalog, auth, "Not yet", rows=1, per_row=2, publish=False)
    me = identity.auth("customer")
    event = built.event.name

    for request, code, reason in [
        (hold_request(event), grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ARGUMENT"),
        (hold_request(event, "main-A-1", "main-A-1"), grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ARGUMENT"),
        (
            hold_request(event, *[f"main-A-{n}" for n in range(1, 6)]),
            grpc.StatusCode.INVALID_ARGUMENT,
            "TOO_MANY_SEATS",
        ),
        (hold_request(event, "main-A-1", "main-Z-9"), grpc.StatusCode.NOT_FOUND, "SEAT_NOT_FOUND"),
        (hold_request(draft.event.name, "main-A-1"), grpc.StatusCode.NOT_FOUND, "EVENT_NOT_FOUND"),
        (hold_request(f"events/{uuid.uuid4()}", "main-A-1"), grpc.StatusCode.NOT_FOUND, "EVENT_NOT_FOUND"),
    ]:
        error = await rich_error(inventory.HoldSeats(request, metadata=me))
        assert (error.code, error.reason) == (code, reason), request

    unknown = await rich_error(inventory.HoldSeats(hold_request(event, "main-A-1", "main-Z-9"), metadata=me))
    assert unknown.metadata["seats"] == "main-Z-9"
    foreign = await rich_error(inventory.HoldSeats(hold_request(other.event.name, "main-A-5"), metadata=me))
    assert (foreign.reason, foreign.metadata["seats"]) == ("SEAT_NOT_FOUND", "main-A-5")

    await catalog.CancelEvent(cat.CancelEventRequest(name=other.event.name, request_id=rid()), metadata=auth)
    await asyncio.sleep(2.1)  # the claim path caches sale terms for two seconds
    closed = await rich_error(inventory.HoldSeats(hold_request(other.event.name, "main-A-1"), metadata=me))
    assert (closed.code, closed.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "SALE_NOT_OPEN")

    anonymous = await rich_error(inventory.HoldSeats(hold_request(event, "main-A-1")))
    assert anonymous.reason == "TOKEN_MISSING"


async def test_retries_return_the_first_hold(
    catalog: Catalog, inventory: Inventory, identity: Identity
) -> None:
    built = await build_event(catalog, identity.auth("organizer"), "Retry", rows=1, per_row=4)
    me = identity.auth("customer")
    request = hold_request(built.event.name, "main-A-1", "main-A-2")
    replies = await asyncio.gather(
        *(inventory.HoldSeats(request, metadata=me) for _ in range(4)), return_exceptions=True
    )
    names = {r.hold.name for r in replies if isinstance(r, inv.HoldSeatsResponse)}
    assert len(names) == 1, replies
    assert (await inventory.HoldSeats(request, metadata=me)).hold.name in names

    reused = hold_request(built.event.name, "main-A-3", request_id=request.request_id)
    error = await rich_error(inventory.HoldSeats(reused, metadata=me))
    assert error.reason == "REQUEST_ID_REUSED"


async def test_the_per_customer_limit_holds_under_parallel_claims(
    catalog: Catalog, inventory: Inventory, identity: Identity, database_url: str
) -> None:
    built = await build_event(catalog, identity.auth("organizer"), "Limited", rows=1, per_row=12)
    subject = f"greedy-{uuid.uuid4().hex[:6]}"
    me = identity.auth("customer", subject=subject)
    calls = [
        inventory.HoldSeats(hold_request(built.event.name, f"main-A-{n}"), metadata=me) for n in range(1, 11)
    ]
    results = await asyncio.gather(*calls, return_exceptions=True)
    won = [r for r in results if isinstance(r, inv.HoldSeatsResponse)]
    refused = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
    assert len(won) == 4  # the event's limit
    assert len(refused) == 6
    assert {e.code() for e in refused} == {grpc.StatusCode.FAILED_PRECONDITION}
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM event_seat WHERE event_id = %s AND holder = %s AND status = 'HELD'",
            (built.event.name.split("/")[1], subject),
        ).fetchone()
    assert row is not None
    assert row[0] == 4


async def test_the_seat_map_stream_sends_a_snapshot_then_changes(
    catalog: Catalog, inventory: Inventory, identity: Identity
) -> None:
    built = await build_event(catalog, identity.auth("organizer"), "Live map", rows=1, per_row=3)
    stream = inventory.WatchSeatMap(inv.WatchSeatMapRequest(event=built.event.name))
    first = await stream.read()
    assert isinstance(first, inv.WatchSeatMapResponse)
    assert {s.seat_id for s in first.snapshot.seats} == {"main-A-1", "main-A-2", "main-A-3"}
    assert {s.status for s in first.snapshot.seats} == {event_pb2.SEAT_STATUS_AVAILABLE}

    me = identity.auth("customer")
    hold = (await inventory.HoldSeats(hold_request(built.event.name, "main-A-2"), metadata=me)).hold
    change = await asyncio.wait_for(stream.read(), timeout=5)
    assert isinstance(change, inv.WatchSeatMapResponse)
    assert [(list(c.seat_ids), c.status) for c in change.delta.changes] == [
        (["main-A-2"], event_pb2.SEAT_STATUS_HELD)
    ]

    await inventory.ReleaseHold(inv.ReleaseHoldRequest(name=hold.name, request_id=rid()), metadata=me)
    freed = await asyncio.wait_for(stream.read(), timeout=5)
    assert isinstance(freed, inv.WatchSeatMapResponse)
    assert [c.status for c in freed.delta.changes] == [event_pb2.SEAT_STATUS_AVAILABLE]
    stream.cancel()

    error = await rich_error(
        inventory.WatchSeatMap(inv.WatchSeatMapRequest(event=f"events/{uuid.uuid4()}")).read()
    )
    assert error.reason == "EVENT_NOT_FOUND"
