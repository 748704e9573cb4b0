"""Cancelling an event with 50 paid orders, the cancel sent 3 times at once while a late payment races
it: every order refunded exactly once at the provider (counted where the calls leave us, by idempotency
key), every ticket void, no live hold left, and every buyer told once by email."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections import Counter

import psycopg
import pytest
from apextick.catalog.v1 import catalog_service_pb2 as svc

from notification.settings import NotificationSettings
from tests.e2e.bus_support import running_relay
from tests.e2e.checkout_support import Checkout, checkout, send_stripe
from tests.e2e.conftest import Identity
from tests.e2e.gate_support import Stack, seat_ids
from tests.e2e.payment_support import session_completed, stripe_event, stripe_signature
from tests.e2e.stripe_proxy import StripeProxy
from tests.e2e.support import build_event, rid
from tests.e2e.test_gate_scans import stack
from tests.e2e.test_ticket_delivery import consumer_settings
from tests.notification_fixtures import NotificationStack, running_consumer, wait_until

pytestmark = pytest.mark.e2e
__all__ = ["consumer_settings", "stack"]
ORDERS = 50
STATES = "SELECT state, refund_reason, count(*) FROM purchase_order WHERE event_id = %s GROUP BY 1, 2"
LEFT_OVER = """
SELECT (SELECT count(*) FROM ticket WHERE event_id = %(event)s AND status = 'VALID'),
       (SELECT count(*) FROM hold WHERE event_id = %(event)s AND status = 'ACTIVE'),
       (SELECT count(*) FROM refund WHERE order_id = ANY(%(orders)s::uuid[]) AND status = 'SUCCEEDED')
"""


def email_of(auth: tuple[tuple[str, str], ...]) -> str:
    payload = auth[0][1].removeprefix("Bearer ").split(".")[1]
    return str(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["email"])


def paid_body(bought: Checkout) -> bytes:
    return stripe_event(
        "checkout.session.completed", session_completed(bought.order, f"pi_{uuid.uuid4().hex}")
    )


async def test_a_cancellation_refunds_every_paid_order_once(
    stack: Stack,
    identity: Identity,
    stripe_proxy: StripeProxy,
    database_url: str,
    amqp_url: str,
    notification_stack: NotificationStack,
    consumer_settings: NotificationSettings,
) -> None:
    catalog, inventory, orders, webhooks = stack.catalog, stack.inventory, stack.orders, stack.webhooks
    organizer = identity.auth("organizer")
    built = await build_event(catalog, organizer, "Stormy night", rows=6, per_row=20, max_per_customer=2)
    seats = seat_ids(6, 20)
    pairs = [tuple(seats[i : i + 2]) for i in range(0, 2 * ORDERS, 2)]
    buyers = [identity.auth("customer") for _ in range(ORDERS + 1)]
    bought = await asyncio.gather(
        *(checkout(inventory, orders, b, built.event.name, p) for b, p in zip(buyers, pairs, strict=False))
    )
    for sale in bought:
        body = paid_body(sale)
        assert await send_stripe(webhooks, body, stripe_signature(body)) == "APPLIED"
    late = await checkout(inventory, orders, buyers[-1], built.event.name, tuple(seats[100:102]))
    cancel = svc.CancelEventRequest(name=built.event.name, reason="Storm warning", request_id=rid())
    late_body = paid_body(late)
    cancels = [catalog.CancelEvent(cancel, metadata=organizer) for _ in range(3)]
    racing = send_stripe(webhooks, late_body, stripe_signature(late_body))
    answers, _ = await asyncio.gather(asyncio.gather(*cancels), racing)
    assert len({a.event.state for a in answers}) == 1  # the retries replay the first cancel
    order_ids = [s.order.name.removeprefix("orders/") for s in [*bought, late]]
    keys = Counter(c.idempotency_key for c in stripe_proxy.refunds())
    mine = {f"refund:{o}": keys[f"refund:{o}"] for o in order_ids}
    assert sorted(set(mine.values())) == [1], mine  # 51 refunds at the provider, none twice
    event_id = built.event.name.removeprefix("events/")
    with psycopg.connect(database_url) as conn:
        states = conn.execute(STATES, (event_id,)).fetchall()
        left = conn.execute(LEFT_OVER, {"event": event_id, "orders": order_ids}).fetchone()
    assert states == [("REFUNDED", "EVENT_CANCELLED", ORDERS + 1)]
    assert left == (0, 0, ORDERS + 1)  # valid tickets, live holds; refunds the provider confirmed
    emails = [email_of(buyer) for buyer in buyers]

    def refund_mails() -> Counter[str]:
        caught = Counter[str]()
        for address in emails:
            caught[address] = sum(
                str(m.message["Subject"]).startswith("Refund for")
                for m in notification_stack.catcher.folder.to(address)
            )
        return caught

    with running_consumer(consumer_settings), running_relay(database_url, amqp_url):
        await asyncio.to_thread(wait_until, lambda: min(refund_mails().values()) >= 1, 60.0, 0.25)
    assert set(refund_mails().values()) == {1}  # every buyer told once
