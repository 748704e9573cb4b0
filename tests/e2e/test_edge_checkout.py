"""The whole purchase through the REST edge: hold, checkout, the provider's signed webhook (no token,
raw body), the order PAID, the tickets listed for their owner only, and OrderConfirmed on the bus."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from tests.e2e.bus_support import order_confirmations, running_relay, wait_for_confirmation
from tests.e2e.checkout_support import post_stripe, rest_checkout, stripe_paid_event
from tests.e2e.conftest import Identity
from tests.e2e.edge_support import Edge, http
from tests.e2e.payment_support import stripe_signature
from tests.e2e.support import build_event

if TYPE_CHECKING:
    from tests.e2e.conftest import Catalog


async def test_a_purchase_through_the_rest_edge(
    edge: Edge, catalog: Catalog, identity: Identity, database_url: str, amqp_url: str
) -> None:
    built = await build_event(catalog, identity.auth("organizer"), "REST purchase", rows=1, per_row=4)
    buyer = identity.token(
        "customer", subject=f"rest-{uuid.uuid4().hex[:8]}", name="Ada Buyer", email="ada@example.com"
    )
    order = await rest_checkout(edge, buyer, built.event.name, ["main-A-1", "main-A-2"])
    assert order["state"] == "ORDER_STATE_PENDING_PAYMENT"
    assert order["paymentSession"]["redirectUrl"].startswith("http")
    body = stripe_paid_event(order)
    with order_confirmations(amqp_url) as (connection, queue), running_relay(database_url, amqp_url):
        forged = await post_stripe(edge, body, "t=1,v1=00")
        assert forged.status == 400
        assert forged.json()["details"][0]["reason"] == "WEBHOOK_SIGNATURE_INVALID"
        hook = await post_stripe(edge, body, stripe_signature(body))
        assert hook.status == 200, hook.body
        assert hook.json() == {"outcome": "APPLIED"}

        fetched = await http("GET", f"{edge.rest}/v1/{order['name']}", token=buyer)
        assert fetched.json()["order"]["state"] == "ORDER_STATE_PAID"
        listed = await http("GET", f"{edge.rest}/v1/tickets", token=buyer)
        tickets = listed.json()["tickets"]
        assert sorted(t["seatId"] for t in tickets) == ["main-A-1", "main-A-2"]
        stranger = identity.token("customer")
        assert (await http("GET", f"{edge.rest}/v1/{tickets[0]['name']}", token=stranger)).status == 404
        assert (await http("GET", f"{edge.rest}/v1/{order['name']}", token=stranger)).status == 404

        confirmed = wait_for_confirmation(connection, queue, order["name"])
    assert confirmed.buyer.email == "ada@example.com"
    assert confirmed.buyer.display_name == "Ada Buyer"
    assert confirmed.event.display_name == "REST purchase"
    assert sorted((t.seat_id, t.row, t.seat_label, t.price_tier_name) for t in confirmed.tickets) == [
        ("main-A-1", "A", "1", "VIP"),
        ("main-A-2", "A", "2", "VIP"),
    ]
    assert {t.ticket for t in confirmed.tickets} == {t["name"] for t in tickets}
