"""Fixtures' helpers for the order tests: make a held, checked-out order and read the database's view."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import psycopg
from apextick.inventory.v1 import inventory_service_pb2 as inv
from apextick.orders.v1 import order_pb2
from apextick.orders.v1 import order_service_pb2 as osv
from apextick.payments.v1 import webhook_service_pb2 as wsv
from google.api import httpbody_pb2
from google.protobuf import json_format

from tests.e2e.conftest import Identity
from tests.e2e.edge_support import Edge, Reply, http
from tests.e2e.payment_support import session_completed, stripe_event
from tests.e2e.support import rid

if TYPE_CHECKING:
    from apextick.inventory.v1 import inventory_service_pb2_grpc as inventory_grpc
    from apextick.orders.v1 import order_service_pb2_grpc as order_grpc
    from apextick.payments.v1 import webhook_service_pb2_grpc as webhook_grpc

    Inventory = inventory_grpc.InventoryServiceAsyncStub
    Orders = order_grpc.OrderServiceAsyncStub
    Webhooks = webhook_grpc.PaymentWebhookServiceAsyncStub

Metadata = tuple[tuple[str, str], ...]


def customer(identity: Identity) -> Metadata:
    """A fresh customer each call, so tests never meet each other's limits or orders."""
    return identity.auth("customer", subject=f"buyer-{uuid.uuid4().hex[:8]}")


async def rest_checkout(edge: Edge, token: str, event: str, seats: list[str]) -> dict[str, Any]:
    """Hold `seats` and check out with Stripe through the REST edge; the order as JSON."""
    held = await http("POST", f"{edge.rest}/v1/{event}/holds", {"seatIds": seats, "requestId": rid()}, token)
    assert held.status == 200, held.body
    hold = held.json()["hold"]["name"]
    body = {"provider": "PAYMENT_PROVIDER_STRIPE", "requestId": rid()}
    checked = await http("POST", f"{edge.rest}/v1/{hold}:checkout", body, token)
    assert checked.status == 200, checked.body
    return dict(checked.json()["order"])


def stripe_paid_event(order: dict[str, Any]) -> bytes:
    """Stripe's checkout.session.completed for an order read as JSON from the edge."""
    message = json_format.ParseDict(order, order_pb2.Order(), ignore_unknown_fields=True)
    return stripe_event(
        "checkout.session.completed", session_completed(message, f"pi_{uuid.uuid4().hex[:12]}")
    )


async def post_stripe(edge: Edge, body: bytes, signature: str) -> Reply:
    return await http(
        "POST", f"{edge.rest}/v1/webhooks/stripe", body, headers={"stripe-signature": signature}
    )


@dataclass(frozen=True)
class Checkout:
    order: order_pb2.Order
    customer: Metadata
    seats: tuple[str, ...]


async def checkout(
    inventory: Inventory,
    orders: Orders,
    customer: Metadata,
    event: str,
    seats: tuple[str, ...],
    provider: order_pb2.PaymentProvider.ValueType = order_pb2.PAYMENT_PROVIDER_STRIPE,
) -> Checkout:
    hold = (
        await inventory.HoldSeats(
            inv.HoldSeatsRequest(event=event, seat_ids=list(seats), request_id=rid()), metadata=customer
        )
    ).hold
    order = (
        await orders.Checkout(
            osv.CheckoutRequest(hold=hold.name, provider=provider, request_id=rid()), metadata=customer
        )
    ).order
    return Checkout(order, customer, seats)


async def send_stripe(webhooks: Webhooks, body: bytes, signature: str | None) -> str:
    metadata = (("stripe-signature", signature),) if signature is not None else ()
    request = wsv.ReceiveStripeEventRequest(
        body=httpbody_pb2.HttpBody(content_type="application/json", data=body)
    )
    return (await webhooks.ReceiveStripeEvent(request, metadata=metadata)).outcome


async def send_payhere(webhooks: Webhooks, body: bytes) -> str:
    request = wsv.ReceivePayHereNotificationRequest(
        body=httpbody_pb2.HttpBody(content_type="application/x-www-form-urlencoded", data=body)
    )
    return (await webhooks.ReceivePayHereNotification(request)).outcome


@dataclass(frozen=True)
class OrderFacts:
    """What PostgreSQL says about one order: the figures the invariants are about."""

    state: str
    refund_reason: str
    payment_events: int
    valid_tickets: int
    void_tickets: int
    confirmed_events: int
    refunded_events: int
    refunds: int
    seats: dict[str, tuple[str, str | None]]  # seat -> (status, hold id)


def order_facts(database_url: str, order: order_pb2.Order) -> OrderFacts:
    order_id = uuid.UUID(order.name.removeprefix("orders/"))
    with psycopg.connect(database_url) as conn:
        row: Any = conn.execute(
            """
            SELECT o.state, o.refund_reason,
              (SELECT count(*) FROM payment_event WHERE order_id = o.id),
              (SELECT count(*) FROM ticket WHERE order_id = o.id AND status = 'VALID'),
              (SELECT count(*) FROM ticket WHERE order_id = o.id AND status = 'VOID'),
              (SELECT count(*) FROM outbox WHERE aggregate_id = o.id::text
                 AND type = 'apextick.events.v1.OrderConfirmed'),
              (SELECT count(*) FROM outbox WHERE aggregate_id = o.id::text
                 AND type = 'apextick.events.v1.OrderRefunded'),
              (SELECT count(*) FROM refund WHERE order_id = o.id)
            FROM purchase_order o WHERE o.id = %s
            """,
            (order_id,),
        ).fetchone()
        seats = conn.execute(
            "SELECT seat_id, status, hold_id::text FROM event_seat s JOIN order_item i USING (seat_id) "
            "WHERE i.order_id = %s AND s.event_id = (SELECT event_id FROM purchase_order WHERE id = %s)",
            (order_id, order_id),
        ).fetchall()
    state, reason, events, valid, void, confirmed, refunded, refunds = row
    return OrderFacts(
        state,
        reason,
        events,
        valid,
        void,
        confirmed,
        refunded,
        refunds,
        {seat: (status, hold) for seat, status, hold in seats},
    )


def booked_twice(database_url: str) -> int:
    """Seats with more than one live ticket: the unique index makes this 0, and the test proves it."""
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM (SELECT event_id, seat_id FROM ticket WHERE status = 'VALID' "
            "GROUP BY 1, 2 HAVING count(*) > 1) twice"
        ).fetchone()
    return int(row[0]) if row else 0


def lapse_hold(database_url: str, order: order_pb2.Order) -> None:
    """Move a checked-out hold's time into the past, as if the payment window had run out."""
    order_id = uuid.UUID(order.name.removeprefix("orders/"))
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "UPDATE hold SET expires_at = now() - interval '1 second' "
            "WHERE id = (SELECT hold_id FROM purchase_order WHERE id = %s)",
            (order_id,),
        )
        conn.execute(
            "UPDATE event_seat SET hold_expires_at = now() - interval '1 second' "
            "WHERE hold_id = (SELECT hold_id FROM purchase_order WHERE id = %s) AND status = 'HELD'",
            (order_id,),
        )
        conn.execute(
            "UPDATE purchase_order SET payment_deadline = now() - interval '1 second' WHERE id = %s",
            (order_id,),
        )
