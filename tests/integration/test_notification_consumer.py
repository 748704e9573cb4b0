"""The notification consumer against real PostgreSQL, RabbitMQ and SMTP (aiosmtpd): an OrderConfirmed
on the events exchange becomes one email with one verifiable QR PDF per ticket, exactly once."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from apextick.events.v1 import inventory_events_pb2 as inv
from apextick.events.v1 import order_events_pb2

from apextick_platform import bus_topology
from booking.adapters.ticket_codes import TicketSigner
from devstack.mail_catcher import MailCatcher
from notification.adapters.bus_messages import ORDER_CONFIRMED, ROUTING_KEYS
from tests.notification_fixtures import (
    NotifyBus,
    assert_tickets_mail,
    drain,
    metadata,
    notification_settings,
    order_confirmed,
    order_refunded,
    running_consumer,
    wait_until,
)

pytestmark = pytest.mark.integration


def test_an_order_confirmed_becomes_one_email_with_a_verifiable_pdf_per_ticket(
    notification_db: str,
    amqp_url: str,
    catcher: MailCatcher,
    test_bus: NotifyBus,
    signer: TicketSigner,
    tmp_path: Path,
) -> None:
    settings = notification_settings(notification_db, amqp_url, catcher, tmp_path / "tickets", test_bus)
    order = order_confirmed(signer, seats=3)
    with running_consumer(settings):
        test_bus.publish(order)
        [mail] = catcher.wait_for(order.buyer.email)
    assert_tickets_mail(mail, order, signer)
    assert order.order_reference in str(mail.message["Subject"])
    body = mail.message.get_body(("plain",))
    html = mail.message.get_body(("html",))
    assert body is not None
    assert html is not None
    assert "Monsoon Beats" in body.get_content()
    assert "Nimali Perera" in html.get_content()


def test_the_same_event_delivered_twice_sends_one_email_and_renders_once(
    notification_db: str,
    amqp_url: str,
    catcher: MailCatcher,
    test_bus: NotifyBus,
    signer: TicketSigner,
    tmp_path: Path,
) -> None:
    storage = tmp_path / "tickets"
    settings = notification_settings(notification_db, amqp_url, catcher, storage, test_bus)
    order = order_confirmed(signer, seats=2)
    with running_consumer(settings) as consumer:
        test_bus.publish(order)
        catcher.wait_for(order.buyer.email)
        rendered = {p: p.stat().st_mtime_ns for p in storage.rglob("*.pdf")}
        test_bus.publish(order)  # the relay's at-least-once: same event id, same body
        test_bus.publish(order)
        assert wait_until(lambda: consumer.stats.handled == 3, timeout=10)
    assert len(catcher.folder.to(order.buyer.email)) == 1
    assert len(rendered) == 2
    assert {p: p.stat().st_mtime_ns for p in storage.rglob("*.pdf")} == rendered


def test_a_refund_tells_the_buyer_and_voids_the_tickets(
    notification_db: str,
    amqp_url: str,
    catcher: MailCatcher,
    test_bus: NotifyBus,
    signer: TicketSigner,
    tmp_path: Path,
) -> None:
    settings = notification_settings(notification_db, amqp_url, catcher, tmp_path / "tickets", test_bus)
    order = order_confirmed(signer, seats=2)
    refund = order_refunded(order, voided=[t.ticket for t in order.tickets])
    with running_consumer(settings):
        test_bus.publish(order)
        catcher.wait_for(order.buyer.email)
        test_bus.publish(refund, routing_key=test_bus.routing_keys[1])
        tickets_mail, notice = catcher.wait_for(order.buyer.email, count=2)
    assert tickets_mail.pdfs()
    assert "Refund" in str(notice.message["Subject"])
    assert notice.pdfs() == []
    plain = notice.message.get_body(("plain",))
    assert plain is not None
    text = plain.get_content()
    assert "LKR 18,000.00" in text
    assert text.count("- VOID:") == 2
    assert "Section Floor, row B, seat 1" in text


def test_a_refund_that_overtakes_its_confirmation_means_no_ticket_email(
    notification_db: str,
    amqp_url: str,
    catcher: MailCatcher,
    test_bus: NotifyBus,
    signer: TicketSigner,
    tmp_path: Path,
) -> None:
    settings = notification_settings(notification_db, amqp_url, catcher, tmp_path / "tickets", test_bus)
    order = order_confirmed(signer, seats=1)
    refund = order_refunded(order, voided=[t.ticket for t in order.tickets])
    with running_consumer(settings) as consumer:
        test_bus.publish(refund, routing_key=test_bus.routing_keys[1])
        catcher.wait_for(order.buyer.email)
        test_bus.publish(order)
        assert wait_until(lambda: consumer.stats.handled == 2, timeout=10)
    [notice] = catcher.folder.to(order.buyer.email)
    assert "Refund" in str(notice.message["Subject"])
    with psycopg.connect(notification_db) as db:
        void = db.execute(
            "SELECT void FROM notification.ticket WHERE order_id = %s", (order.order.removeprefix("orders/"),)
        ).fetchall()
    assert void == [(True,)]


def test_hold_expired_and_order_closed_are_acked_without_email(
    notification_db: str,
    amqp_url: str,
    catcher: MailCatcher,
    test_bus: NotifyBus,
    signer: TicketSigner,
    tmp_path: Path,
) -> None:
    settings = notification_settings(notification_db, amqp_url, catcher, tmp_path / "tickets", test_bus)
    expired = inv.HoldExpired(metadata=metadata(), hold="holds/h1", event="events/e1", seat_ids=["A-1"])
    closed = order_events_pb2.OrderClosed(
        metadata=metadata(), order="orders/o1", customer="c1", state="EXPIRED"
    )
    order = order_confirmed(signer, seats=1)
    with running_consumer(settings) as consumer:
        test_bus.publish(expired)  # as if the queue were bound wider than it is
        test_bus.publish(closed)
        test_bus.publish(order)
        catcher.wait_for(order.buyer.email)
        assert wait_until(lambda: consumer.stats.handled == 3, timeout=10)
    assert len(catcher.folder.messages()) == 1
    assert test_bus.depth(test_bus.queue) == 0
    assert test_bus.depth(bus_topology.dead_letter_queue(test_bus.queue)) == 0
    assert "inventory.hold_expired" not in ROUTING_KEYS


def test_poison_messages_are_dead_lettered_after_the_delivery_limit_never_acked(
    notification_db: str,
    amqp_url: str,
    catcher: MailCatcher,
    test_bus: NotifyBus,
    signer: TicketSigner,
    tmp_path: Path,
) -> None:
    settings = notification_settings(notification_db, amqp_url, catcher, tmp_path / "tickets", test_bus)
    dead = bus_topology.dead_letter_queue(test_bus.queue)
    unknown = order_confirmed(signer, seats=1)
    no_tickets = order_confirmed(signer, seats=1)
    del no_tickets.tickets[:]
    good = order_confirmed(signer, seats=1)
    with running_consumer(settings) as consumer:
        test_bus.publish_raw(b"\xff\x00 not a protobuf", ORDER_CONFIRMED, None, "garbage-1")
        test_bus.publish(unknown, type_name="apextick.events.v1.OrderTeleported")
        test_bus.publish(no_tickets)
        test_bus.publish(good)
        assert wait_until(lambda: test_bus.depth(dead) == 3, timeout=20)
        catcher.wait_for(good.buyer.email)
        assert consumer.stats.dead_lettered == 3
        # limit 2: the first delivery and two redeliveries each, then the queue dead-letters it
        assert consumer.stats.returned == 6
    assert test_bus.depth(test_bus.queue) == 0
    assert [m.message["To"] for m in catcher.folder.messages()] == [good.buyer.email]
    letters = drain(amqp_url, dead)
    assert sorted(letters) == sorted(["garbage-1", unknown.metadata.event_id, no_tickets.metadata.event_id])
