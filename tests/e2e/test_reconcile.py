"""Reconciliation: a lost webhook never leaves a paid order unconfirmed, and an unpaid order past its
window is expired with its provider session closed."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import aiohttp
import psycopg
from apextick.orders.v1 import order_pb2

from booking.bootstrap import Container
from booking.entrypoints.grpc.server import BookingServer
from tests.e2e.checkout_support import checkout, customer, lapse_hold, order_facts
from tests.e2e.conftest import Identity
from tests.e2e.support import build_event

if TYPE_CHECKING:
    from tests.e2e.checkout_support import Inventory, Orders
    from tests.e2e.conftest import Catalog


async def test_a_payment_whose_webhook_was_lost_is_confirmed_by_the_reconciler(
    catalog: Catalog,
    inventory: Inventory,
    orders: Orders,
    identity: Identity,
    database_url: str,
    booking_server: BookingServer[Container],
    onepay_sandbox_url: str,
) -> None:
    built = await build_event(catalog, identity.auth("organizer"), "Lost webhook", rows=1, per_row=4)
    bought = await checkout(
        inventory,
        orders,
        customer(identity),
        built.event.name,
        ("main-A-1",),
        order_pb2.PAYMENT_PROVIDER_ONEPAY,
    )
    transaction = bought.order.payment_session.session_id
    pay = f"{onepay_sandbox_url}/_sandbox/transactions/{transaction}/pay"
    async with aiohttp.ClientSession() as http, http.post(pay) as response:  # the callback never arrives
        assert response.status == 200
    assert order_facts(database_url, bought.order).state == "PENDING_PAYMENT"
    lapse_hold(database_url, bought.order)

    report = await booking_server.container.payments.reconcile()
    assert report.settled >= 1
    facts = order_facts(database_url, bought.order)
    assert (facts.state, facts.valid_tickets, facts.confirmed_events, facts.refunds) == ("PAID", 1, 1, 0)
    again = await booking_server.container.payments.reconcile()  # nothing left to settle for this order
    assert order_facts(database_url, bought.order).payment_events == facts.payment_events
    assert again.refunds_failed == 0


async def test_an_unpaid_order_past_its_window_expires_and_its_session_is_closed(
    catalog: Catalog,
    inventory: Inventory,
    orders: Orders,
    identity: Identity,
    database_url: str,
    booking_server: BookingServer[Container],
) -> None:
    built = await build_event(catalog, identity.auth("organizer"), "Unpaid", rows=1, per_row=4)
    bought = await checkout(inventory, orders, customer(identity), built.event.name, ("main-A-2", "main-A-3"))
    lapse_hold(database_url, bought.order)
    await booking_server.container.payments.reconcile()
    facts = order_facts(database_url, bought.order)
    assert facts.state == "EXPIRED"
    assert {status for status, _ in facts.seats.values()} == {"AVAILABLE"}
    order_id = uuid.UUID(bought.order.name.removeprefix("orders/"))
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT session_closed_at FROM payment WHERE order_id = %s", (order_id,)
        ).fetchone()
    assert row is not None
    assert row[0] is not None
