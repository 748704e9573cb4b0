"""Selling a whole event through the public interface (holds, Stripe checkouts, signed webhooks) so the
gate tests have real tickets with real signed codes, and scanning them through GateService."""

from __future__ import annotations

import asyncio
import string
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from apextick.gates.v1 import gate_service_pb2 as gsv
from apextick.gates.v1 import gate_service_pb2_grpc as gsv_grpc
from apextick.tickets.v1 import ticket_pb2
from apextick.tickets.v1 import ticket_service_pb2 as tsv

from tests.e2e.checkout_support import checkout, send_stripe
from tests.e2e.conftest import Identity
from tests.e2e.payment_support import session_completed, stripe_event, stripe_signature
from tests.e2e.support import Built, build_event, rid

if TYPE_CHECKING:
    from tests.e2e.checkout_support import Inventory, Orders, Webhooks
    from tests.e2e.conftest import Catalog, Tickets

    Gates = gsv_grpc.GateServiceAsyncStub

Metadata = tuple[tuple[str, str], ...]
PER_CUSTOMER = 20  # the contract's ceiling: fewest orders for a sold-out house


@dataclass(frozen=True)
class SoldOut:
    built: Built
    organizer: Metadata
    tickets: tuple[ticket_pb2.Ticket, ...]
    buyers: tuple[Metadata, ...]  # one per order, in the tickets' order


@dataclass(frozen=True)
class Stack:
    catalog: Catalog
    inventory: Inventory
    orders: Orders
    webhooks: Webhooks
    tickets: Tickets
    gates: Gates


def seat_ids(rows: int, per_row: int) -> list[str]:
    return [f"main-{string.ascii_uppercase[r]}-{n}" for r in range(rows) for n in range(1, per_row + 1)]


async def _buy(
    stack: Stack, identity: Identity, event: str, seats: Sequence[str]
) -> tuple[Metadata, list[ticket_pb2.Ticket]]:
    customer = identity.auth("customer")
    bought = await checkout(stack.inventory, stack.orders, customer, event, tuple(seats))
    body = stripe_event(
        "checkout.session.completed", session_completed(bought.order, f"pi_{uuid.uuid4().hex}")
    )
    assert await send_stripe(stack.webhooks, body, stripe_signature(body)) == "APPLIED"
    request = tsv.ListMyTicketsRequest(order=bought.order.name, page_size=PER_CUSTOMER)
    return customer, list((await stack.tickets.ListMyTickets(request, metadata=customer)).tickets)


async def sell_out(stack: Stack, identity: Identity, title: str, rows: int, per_row: int) -> SoldOut:
    organizer = identity.auth("organizer")
    built = await build_event(
        stack.catalog, organizer, title, rows=rows, per_row=per_row, max_per_customer=PER_CUSTOMER
    )
    seats = seat_ids(rows, per_row)
    batches = [seats[i : i + PER_CUSTOMER] for i in range(0, len(seats), PER_CUSTOMER)]
    bought = await asyncio.gather(*(_buy(stack, identity, built.event.name, batch) for batch in batches))
    tickets = tuple(t for _, batch in bought for t in batch)
    assert len(tickets) == len(seats)
    return SoldOut(built, organizer, tickets, tuple(buyer for buyer, _ in bought))


async def open_stations(
    gates: Gates, sold: SoldOut, identity: Identity, count: int
) -> list[tuple[gsv.GateStation, Metadata]]:
    """`count` stations, each staffed by its own gate user."""
    opened = []
    for number in range(count):
        subject = f"gate-{uuid.uuid4().hex[:10]}"
        station = gsv.GateStation(display_name=f"Gate {number + 1}", staff=[subject])
        request = gsv.CreateGateStationRequest(
            parent=sold.built.event.name, gate_station=station, request_id=rid()
        )
        made = (await gates.CreateGateStation(request, metadata=sold.organizer)).gate_station
        opened.append((made, identity.auth("gate", subject=subject)))
    return opened


async def scan(
    gates: Gates, station: str, auth: Metadata, code: str, nonce: str = ""
) -> gsv.ScanTicketResponse:
    request = gsv.ScanTicketRequest(gate_station=station, code=code, scan_nonce=nonce or str(uuid.uuid4()))
    response: gsv.ScanTicketResponse = await gates.ScanTicket(request, metadata=auth)
    return response
