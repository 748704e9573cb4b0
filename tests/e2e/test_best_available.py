"""HoldBestAvailable under contention on the real server and PostgreSQL: 200 customers ask at once for
2 adjacent seats of a 400-seat event. No seat is held twice, every hold is two adjacent seats, no
single free seat is left stranded, and every customer who got nothing was offered seats that really
were free when the answer was made."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import grpc
import psycopg
from apextick.inventory.v1 import inventory_service_pb2 as inv

from booking.bootstrap import Container
from booking.entrypoints.grpc.server import BookingServer
from tests.e2e.conftest import Identity
from tests.e2e.support import RichError, build_event, decoded, rich_error, rid

if TYPE_CHECKING:
    from apextick.catalog.v1 import catalog_service_pb2_grpc as catalog_grpc
    from apextick.inventory.v1 import inventory_service_pb2_grpc as inventory_grpc

    Catalog = catalog_grpc.CatalogServiceAsyncStub
    Inventory = inventory_grpc.InventoryServiceAsyncStub

CUSTOMERS, ROWS, PER_ROW = 200, 20, 20


def seat(seat_id: str) -> tuple[str, int]:
    _, row, number = seat_id.split("-")
    return row, int(number)


def stranded(taken: set[str]) -> list[str]:
    """Free seats with no free neighbour in their row (a taken seat or the row's end on both sides)."""
    alone = []
    for r in range(ROWS):
        row = chr(ord("A") + r)
        for n in range(1, PER_ROW + 1):
            if f"main-{row}-{n}" in taken:
                continue
            if f"main-{row}-{n - 1}" in taken | {f"main-{row}-0"} and f"main-{row}-{n + 1}" in taken | {
                f"main-{row}-{PER_ROW + 1}"
            }:
                alone.append(f"main-{row}-{n}")
    return alone


async def test_two_hundred_customers_each_asking_for_two_adjacent_seats(
    booking_server: BookingServer[Container], catalog: Catalog, inventory: Inventory, identity: Identity,
    database_url: str,
) -> None:  # fmt: skip
    built = await build_event(
        catalog, identity.auth("organizer"), "Best available", rows=ROWS, per_row=PER_ROW
    )
    name = built.event.name
    start = asyncio.Event()

    async def ask(n: int) -> tuple[str, object, datetime]:
        me = identity.auth("customer", subject=f"best-{n}-{uuid.uuid4().hex[:6]}")
        request = inv.HoldBestAvailableRequest(event=name, quantity=2, together=True, request_id=rid())
        await start.wait()
        try:
            answer: object = await inventory.HoldBestAvailable(request, metadata=me)
        except grpc.aio.AioRpcError as lost:
            answer = decoded(lost)
        return me[0][1], answer, datetime.now(UTC)

    tasks = [asyncio.create_task(ask(n)) for n in range(CUSTOMERS)]
    await asyncio.sleep(0.2)
    start.set()
    results = await asyncio.gather(*tasks)
    holds = [a.hold for _, a, _ in results if isinstance(a, inv.HoldBestAvailableResponse)]
    losses = [(a, at) for _, a, at in results if isinstance(a, RichError)]
    seats = [s.seat_id for hold in holds for s in hold.seats]
    print(f"best available: {len(holds)} holds, {len(losses)} lost, {ROWS * PER_ROW - len(seats)} seats left")  # noqa: T201
    assert len(seats) == len(set(seats)), "a seat held twice"
    for hold in holds:
        (row_a, a), (row_b, b) = sorted(seat(s.seat_id) for s in hold.seats)
        assert row_a == row_b
        assert b == a + 1, f"not adjacent: {hold.seats}"
    assert stranded(set(seats)) == [], "a single free seat left stranded"
    with psycopg.connect(database_url) as conn:
        held_in_db = conn.execute(
            "SELECT seat_id FROM hold_seat WHERE event_id = %s AND live GROUP BY 1 HAVING count(*) > 1",
            (uuid.UUID(name.removeprefix("events/")),),
        ).fetchall()
        assert held_in_db == []
        for lost, at in losses:
            assert (lost.code, lost.reason) == (grpc.StatusCode.ABORTED, "SEAT_UNAVAILABLE"), lost
            offered = [s for s in lost.metadata.get("alternatives", "").split(",") if s]
            assert taken_before(conn, name, offered, at) == [], f"offered seats already taken: {offered}"
    assert len(holds) + len(losses) == CUSTOMERS


def taken_before(conn: psycopg.Connection[Any], name: str, offered: list[str], at: datetime) -> list[str]:
    """Of the seats a loser was offered, those some hold had taken before the answer was made."""
    rows = conn.execute(
        "SELECT hs.seat_id FROM hold_seat hs JOIN hold h ON h.id = hs.hold_id"
        " WHERE hs.event_id = %s AND hs.seat_id = ANY(%s) AND h.created_at < %s",
        (uuid.UUID(name.removeprefix("events/")), offered, at),
    ).fetchall()
    return [r[0] for r in rows]


async def test_a_retry_answers_the_same_hold_and_nothing_fitting_offers_singles(
    booking_server: BookingServer[Container], catalog: Catalog, inventory: Inventory, identity: Identity,
) -> None:  # fmt: skip
    built = await build_event(catalog, identity.auth("organizer"), "Small best", rows=1, per_row=3)
    me = identity.auth("customer", subject=f"retry-{uuid.uuid4().hex[:6]}")
    request = inv.HoldBestAvailableRequest(
        event=built.event.name, quantity=2, together=True, request_id=rid()
    )
    first = await inventory.HoldBestAvailable(request, metadata=me)
    again = await inventory.HoldBestAvailable(request, metadata=me)
    assert again.hold.name == first.hold.name
    other = identity.auth("customer", subject=f"other-{uuid.uuid4().hex[:6]}")
    lost = await rich_error(
        inventory.HoldBestAvailable(
            inv.HoldBestAvailableRequest(event=built.event.name, quantity=2, together=True, request_id=rid()),
            metadata=other,
        )
    )
    assert (lost.code, lost.reason) == (grpc.StatusCode.ABORTED, "SEAT_UNAVAILABLE")
    left = {"main-A-1", "main-A-2", "main-A-3"} - {s.seat_id for s in first.hold.seats}
    assert set(lost.metadata["alternatives"].split(",")) == left  # the one free seat, offered alone


async def test_a_lost_hold_names_the_nearest_free_seats_of_its_tier(
    booking_server: BookingServer[Container], catalog: Catalog, inventory: Inventory, identity: Identity,
) -> None:  # fmt: skip
    built = await build_event(catalog, identity.auth("organizer"), "Offers", rows=2, per_row=6)
    first = identity.auth("customer", subject=f"first-{uuid.uuid4().hex[:6]}")
    await inventory.HoldSeats(
        inv.HoldSeatsRequest(event=built.event.name, seat_ids=["main-A-3", "main-A-4"], request_id=rid()),
        metadata=first,
    )
    second = identity.auth("customer", subject=f"second-{uuid.uuid4().hex[:6]}")
    lost = await rich_error(
        inventory.HoldSeats(
            inv.HoldSeatsRequest(event=built.event.name, seat_ids=["main-A-3"], request_id=rid()),
            metadata=second,
        )
    )
    assert (lost.code, lost.reason) == (grpc.StatusCode.ABORTED, "SEAT_UNAVAILABLE")
    assert lost.metadata["alternatives"] == "main-A-2"  # row A is the VIP tier: its nearest free seat


def test_the_stranded_seat_checker_catches_a_single_seat_left_between_taken_ones() -> None:
    """The checker above, on a deliberately bad outcome: it must not pass everything."""
    full = {f"main-{chr(ord('A') + r)}-{n}" for r in range(ROWS) for n in range(1, PER_ROW + 1)}
    assert stranded(full) == []
    assert stranded(full - {"main-C-5"}) == ["main-C-5"]  # one free seat, taken on both sides
    assert stranded(full - {"main-C-1"}) == ["main-C-1"]  # the row's end and a taken seat
    assert stranded(full - {"main-C-5", "main-C-6"}) == []  # a free pair strands nothing


async def test_the_offered_seats_checker_catches_an_offer_of_a_seat_already_held(
    catalog: Catalog, inventory: Inventory, identity: Identity, database_url: str
) -> None:
    """The SQL checker of the contention test, on a deliberately bad offer: a seat some hold had
    taken before the answer is caught; one taken after it, or never, is not."""
    built = await build_event(catalog, identity.auth("organizer"), "Checked offers", rows=1, per_row=6)
    before = datetime.now(UTC)
    await inventory.HoldSeats(
        inv.HoldSeatsRequest(event=built.event.name, seat_ids=["main-A-3"], request_id=rid()),
        metadata=identity.auth("customer", subject=f"holder-{uuid.uuid4().hex[:6]}"),
    )
    after = datetime.now(UTC)
    offered = ["main-A-3", "main-A-5"]  # the first is held, the second free
    with psycopg.connect(database_url) as conn:
        assert taken_before(conn, built.event.name, offered, after) == ["main-A-3"]
        assert taken_before(conn, built.event.name, offered, before) == []  # held only after that answer
        assert taken_before(conn, built.event.name, ["main-A-5"], after) == []
