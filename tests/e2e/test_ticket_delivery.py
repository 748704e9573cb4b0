"""The whole road from a click to an inbox: hold and checkout through the REST edge, the provider's
signed webhook, the outbox relay, RabbitMQ, the notification consumer, and an email caught by the
local SMTP server with one PDF per ticket whose QR code carries a genuine, correctly addressed code."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import closing
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pika
import pytest
from pika.adapters.blocking_connection import BlockingConnection

from apextick_platform import bus_topology
from booking.adapters.ticket_codes import TicketSigner, load_private_key, verify
from devstack.mail_catcher import CaughtMail
from notification.settings import NotificationSettings
from tests.e2e.bus_support import running_relay
from tests.e2e.checkout_support import post_stripe, rest_checkout, stripe_paid_event
from tests.e2e.conftest import Identity
from tests.e2e.edge_support import Edge, http
from tests.e2e.payment_support import TICKET_SECRET, stripe_signature
from tests.e2e.support import build_event
from tests.notification_fixtures import NotificationStack, page_count, qr_codes, running_consumer

if TYPE_CHECKING:
    from tests.e2e.conftest import Catalog


@pytest.fixture
def consumer_settings(notification_stack: NotificationStack, amqp_url: str) -> Iterator[NotificationSettings]:
    """The stack's settings (its database, storage and SMTP catcher) on a queue of this test's own,
    bound to the real order routing keys; deleted afterwards."""
    queue = f"test.notification.{uuid.uuid4().hex[:12]}"
    settings = replace(
        notification_stack.server.container.settings,
        amqp_url=amqp_url,
        queue=queue,
        routing_keys=("orders.order_confirmed", "orders.order_refunded"),
    )
    yield settings
    with closing(BlockingConnection(pika.URLParameters(amqp_url))) as connection:
        channel = connection.channel()
        channel.queue_delete(queue)
        channel.queue_delete(bus_topology.dead_letter_queue(queue))


async def pay_and_receive(
    edge: Edge,
    order: dict[str, Any],
    email: str,
    database_url: str,
    amqp_url: str,
    notification_stack: NotificationStack,
    consumer_settings: NotificationSettings,
) -> CaughtMail:
    """The provider's signed webhook through the edge, then the relay and the consumer at work until
    the buyer's one email arrives."""
    body = stripe_paid_event(order)
    with running_consumer(consumer_settings), running_relay(database_url, amqp_url):
        hook = await post_stripe(edge, body, stripe_signature(body))
        assert hook.status == 200, hook.body
        [mail] = await asyncio.to_thread(notification_stack.catcher.wait_for, email, 1, 30.0)
    return mail


async def test_a_paid_order_reaches_the_inbox_as_scannable_tickets(
    edge: Edge,
    catalog: Catalog,
    identity: Identity,
    database_url: str,
    amqp_url: str,
    notification_stack: NotificationStack,
    consumer_settings: NotificationSettings,
) -> None:
    built = await build_event(catalog, identity.auth("organizer"), "Inbox concert", rows=2, per_row=4)
    email = f"buyer-{uuid.uuid4().hex[:8]}@example.com"
    buyer = identity.token(
        "customer", subject=f"inbox-{uuid.uuid4().hex[:8]}", name="Nimal Perera", email=email
    )
    order = await rest_checkout(edge, buyer, built.event.name, ["main-A-1", "main-B-3", "main-B-4"])
    mail = await pay_and_receive(
        edge, order, email, database_url, amqp_url, notification_stack, consumer_settings
    )

    tickets = (await http("GET", f"{edge.rest}/v1/tickets?order={order['name']}", token=buyer)).json()[
        "tickets"
    ]
    assert len(tickets) == 3
    expected = {
        (t["name"].removeprefix("tickets/"), built.event.name.removeprefix("events/"), t["seatId"])
        for t in tickets
    }
    signer = TicketSigner(load_private_key(TICKET_SECRET))
    pdfs = mail.pdfs()
    assert len(pdfs) == len(tickets)
    found = set()
    for _, pdf in pdfs:
        assert page_count(pdf) == 1
        [code] = qr_codes(pdf)
        claims = verify(code, {signer.key_id: signer.public_key})
        found.add((claims.ticket_id, claims.event_id, claims.seat_id))
    assert found == expected

    # The same PDFs, served to their owner through the edge and to nobody else.
    pdf_uri = tickets[0]["pdfUri"]
    mine = await http("GET", f"{edge.rest}{pdf_uri}", token=buyer)
    assert mine.status == 200
    assert mine.headers["content-type"] == "application/pdf"
    assert mine.body.startswith(b"%PDF")
    assert (await http("GET", f"{edge.rest}{pdf_uri}", token=identity.token("customer"))).status == 404


# An organizer's typo and a world of scripts: a line break, an emoji sequence, Hebrew between RTL marks,
# and enough padding to reach the contract's 200-character limit.
AWKWARD = "Monsoon\nBeats \U0001f468\u200d\U0001f469\u200d\U0001f467 \u200f\u05e9\u05dc\u05d5\u05dd\u200f "
AWKWARD_TITLE = AWKWARD + "x" * (200 - len(AWKWARD))


async def test_awkward_text_is_folded_at_the_source_and_still_ticketed(
    edge: Edge,
    catalog: Catalog,
    identity: Identity,
    database_url: str,
    amqp_url: str,
    notification_stack: NotificationStack,
    consumer_settings: NotificationSettings,
) -> None:
    built = await build_event(catalog, identity.auth("organizer"), AWKWARD_TITLE, rows=1, per_row=3)
    assert "\n" not in built.event.display_name  # stored as one line
    assert built.event.display_name.startswith("Monsoon Beats \U0001f468\u200d\U0001f469")
    email = f"buyer-{uuid.uuid4().hex[:8]}@example.com"
    buyer = identity.token(
        "customer", subject=f"awkward-{uuid.uuid4().hex[:8]}", name="Nimal\r\nPerera", email=email
    )
    order = await rest_checkout(edge, buyer, built.event.name, ["main-A-2"])
    mail = await pay_and_receive(
        edge, order, email, database_url, amqp_url, notification_stack, consumer_settings
    )
    assert "Monsoon Beats" in str(mail.message["Subject"])
    signer = TicketSigner(load_private_key(TICKET_SECRET))
    [(_, pdf)] = mail.pdfs()
    [code] = qr_codes(pdf)
    claims = verify(code, {signer.key_id: signer.public_key})
    assert (claims.event_id, claims.seat_id) == (built.event.name.removeprefix("events/"), "main-A-2")
