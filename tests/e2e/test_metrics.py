"""Every RPC counted once in the call pipeline, by method, gRPC code and ErrorInfo reason, and timed:
a small sale through the real booking server moves its /metrics by exactly what the sale answered."""

from __future__ import annotations

import asyncio
import urllib.request
import uuid
from typing import TYPE_CHECKING

import grpc
from apextick.catalog.v1 import catalog_service_pb2_grpc as catalog_grpc
from apextick.inventory.v1 import inventory_service_pb2 as inv
from apextick.inventory.v1 import inventory_service_pb2_grpc as inventory_grpc
from prometheus_client.parser import text_string_to_metric_families

from booking.bootstrap import Container
from booking.entrypoints.grpc.server import BookingServer
from tests.e2e.conftest import Identity
from tests.e2e.support import build_event, rid

if TYPE_CHECKING:  # the async stub classes exist only in the .pyi stubs
    Catalog = catalog_grpc.CatalogServiceAsyncStub
    Inventory = inventory_grpc.InventoryServiceAsyncStub

HOLD = "/apextick.inventory.v1.InventoryService/HoldSeats"
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(port: int) -> Samples:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as reply:
        text = reply.read().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    """How far one HoldSeats series of the booking server moved between the two scrapes."""
    key = (name, tuple(sorted({**labels, "method": HOLD, "server": "booking"}.items())))
    return after.get(key, 0.0) - before.get(key, 0.0)


async def test_a_small_sale_moves_the_rpc_counters_by_exactly_its_answers(
    booking_server: BookingServer[Container],
    catalog: Catalog,
    inventory: Inventory,
    identity: Identity,
) -> None:
    port = booking_server.hosted.metrics_port
    assert port is not None
    built = await build_event(catalog, identity.auth("organizer"), "Metered", rows=1, per_row=3)
    before = scrape(port)

    async def hold(seat: str) -> str:
        me = identity.auth("customer", subject=f"m-{uuid.uuid4().hex[:8]}")
        request = inv.HoldSeatsRequest(event=built.event.name, seat_ids=[seat], request_id=rid())
        try:
            await inventory.HoldSeats(request, metadata=me)
        except grpc.aio.AioRpcError as error:
            return error.code().name
        return "OK"

    seats = ["main-A-1", "main-A-2", "main-A-3", "main-A-1", "main-A-2"]  # three winners, two too late
    outcomes = [await hold(seat) for seat in seats]
    outcomes += await asyncio.gather(hold(""))  # an empty seat id: refused by validation
    after = scrape(port)

    assert outcomes == ["OK", "OK", "OK", "ABORTED", "ABORTED", "INVALID_ARGUMENT"]
    answers = "apextick_rpc_requests_total"
    assert moved(before, after, answers, code="OK", reason="OK") == 3
    assert moved(before, after, answers, code="ABORTED", reason="SEAT_UNAVAILABLE") == 2
    assert moved(before, after, answers, code="INVALID_ARGUMENT", reason="INVALID_ARGUMENT") == 1
    assert moved(before, after, "apextick_rpc_duration_seconds_count") == 6  # every answer timed once
    won = ("apextick_seats_won_total", ())
    assert after[won] - before.get(won, 0.0) == 3  # the domain counter beside the RPC counts
    assert ("process_resident_memory_bytes", ()) in after  # the standard process metrics too
