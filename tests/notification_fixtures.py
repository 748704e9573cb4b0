"""Fixtures and builders for the notification service's tests (a pytest plugin, see tests/conftest.py):
the notification schema migrated into the session's database, a real SMTP catcher on a free port, a
confirming publisher on the real broker, and OrderConfirmed events whose codes are really signed."""

from __future__ import annotations

import contextlib
import io
import secrets
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pika
import pika.exceptions
import pypdfium2
import pytest
import zxingcpp
from apextick.events.v1 import catalog_events_pb2, order_events_pb2
from google.protobuf.message import Message
from pika.adapters.blocking_connection import BlockingConnection

from apextick_platform import bus_topology, proto_time
from apextick_platform.settings import sqlalchemy_url
from booking.adapters import event_codec
from booking.adapters.amqp_publisher import ConfirmingPublisher, Outgoing
from booking.adapters.ticket_codes import TicketClaims, TicketSigner, load_private_key, verify
from devstack.identity import AUDIENCE
from devstack.mail_catcher import CaughtMail, MailCatcher
from notification import bootstrap
from notification.adapters.amqp_consumer import BeforeAck, BusConsumer, Handler
from notification.adapters.bus_messages import Confirmed, Refunded, decode
from notification.bootstrap import Container
from notification.domain.redelivery import RedeliveryPolicy
from notification.entrypoints.consumer import consume
from notification.entrypoints.grpc.server import NotificationServer
from notification.migrations import upgrade_to_head
from notification.settings import NotificationSettings
from tests.e2e.edge_support import free_port


@pytest.fixture(scope="session")
def notification_db(database_url: str) -> str:
    """The session's database with the notification schema beside booking's, as `make up` has it."""
    upgrade_to_head(sqlalchemy_url(database_url))
    return database_url


@pytest.fixture(scope="session")
def signer() -> TicketSigner:
    return TicketSigner(load_private_key(secrets.token_hex(16)))


@pytest.fixture
def catcher(tmp_path: Path) -> Iterator[MailCatcher]:
    running = MailCatcher(tmp_path / "mail", port=free_port()).start()
    yield running
    running.stop()


@dataclass
class NotifyBus:
    """Routing keys and a queue of this test's own, so that tests (and a running stack's consumer)
    never see each other's messages; the queues are deleted afterwards."""

    amqp_url: str
    connection: BlockingConnection
    publisher: ConfirmingPublisher
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:10])

    @property
    def queue(self) -> str:
        return f"test.notification.{self.tag}"

    @property
    def routing_keys(self) -> tuple[str, str]:
        return (f"test.{self.tag}.order_confirmed", f"test.{self.tag}.order_refunded")

    def publish(self, message: Message, routing_key: str | None = None, type_name: str | None = None) -> str:
        message_id = getattr(getattr(message, "metadata", None), "event_id", "") or str(uuid.uuid4())
        self.publish_raw(
            message.SerializeToString(), type_name or message.DESCRIPTOR.full_name, routing_key, message_id
        )
        return message_id

    def publish_raw(self, body: bytes, type_name: str, routing_key: str | None, message_id: str) -> None:
        properties = pika.BasicProperties(
            delivery_mode=pika.DeliveryMode.Persistent,
            message_id=message_id,
            type=type_name,
            content_type="application/x-protobuf",
        )
        self.publisher.publish([Outgoing(routing_key or self.routing_keys[0], body, properties)])

    def depth(self, queue: str) -> int:
        with contextlib.closing(BlockingConnection(pika.URLParameters(self.amqp_url))) as conn:
            return int(conn.channel().queue_declare(queue, passive=True).method.message_count)

    def consumers(self, queue: str) -> int:
        """Consumers attached to `queue`; 0 while it does not exist yet. A consumer attaches only after
        it has declared the queue and its bindings, so a message published after that reaches it."""
        try:
            with contextlib.closing(BlockingConnection(pika.URLParameters(self.amqp_url))) as conn:
                return int(conn.channel().queue_declare(queue, passive=True).method.consumer_count)
        except pika.exceptions.ChannelClosedByBroker:  # NOT_FOUND: not declared yet
            return 0


@pytest.fixture
def test_bus(amqp_url: str) -> Iterator[NotifyBus]:
    connection = BlockingConnection(pika.URLParameters(amqp_url))
    publisher = ConfirmingPublisher(connection, bus_topology.EXCHANGE)
    bus_topology.declare_exchanges(publisher.channel)
    publisher.start_confirms()
    bus = NotifyBus(amqp_url, connection, publisher)
    yield bus
    with contextlib.closing(BlockingConnection(pika.URLParameters(amqp_url))) as cleanup:
        channel = cleanup.channel()
        for name in (bus.queue, bus_topology.dead_letter_queue(bus.queue)):
            channel.queue_delete(name)
    with contextlib.suppress(pika.exceptions.AMQPError):
        connection.close()


def notification_settings(
    database_url: str,
    amqp_url: str,
    catcher: MailCatcher,
    storage: Path,
    bus: NotifyBus | None = None,
    **extra: object,
) -> NotificationSettings:
    base = NotificationSettings.from_env(
        {
            "APEXTICK_DATABASE_URL": database_url,
            "APEXTICK_AMQP_URL": amqp_url,
            "APEXTICK_SMTP_HOST": catcher.host,
            "APEXTICK_SMTP_PORT": str(catcher.port),
            "APEXTICK_TICKET_STORAGE_DIR": str(storage),
            "APEXTICK_LOG_LEVEL": "WARNING",
        }
    )
    settings = replace(
        base,
        redelivery=RedeliveryPolicy(delivery_limit=2, base_seconds=0.05, cap_seconds=0.2),
        resend_poll_seconds=0.1,
        db_pool_size=4,
        report_interval_seconds=1.0,
    )
    if bus is not None:
        settings = replace(settings, queue=bus.queue, routing_keys=bus.routing_keys)
    return replace(settings, **extra)  # type: ignore[arg-type]


@contextlib.contextmanager
def running_consumer(
    settings: NotificationSettings, before_ack: BeforeAck | None = None
) -> Iterator[BusConsumer]:
    container = bootstrap.build(settings)
    stop = threading.Event()
    try:
        with running(consume(container, stop, before_ack), stop) as consumer:
            yield consumer
    finally:
        container.close()


@contextlib.contextmanager
def running_bus(
    settings: NotificationSettings, handle: Handler, kind: type[BusConsumer] = BusConsumer
) -> Iterator[BusConsumer]:
    """A consumer of `kind` on the settings' queue with a handler of the test's own."""
    stop = threading.Event()
    consumer = kind(
        settings.amqp_url, settings.queue, settings.routing_keys, handle,
        prefetch=settings.prefetch, policy=settings.redelivery, stop=stop,
    )  # fmt: skip
    with running(consumer, stop) as started:
        yield started


@contextlib.contextmanager
def running(consumer: BusConsumer, stop: threading.Event) -> Iterator[BusConsumer]:
    """Consume in a thread until the block ends; the consumer must start and stop in time."""
    thread = threading.Thread(target=consumer.run, daemon=True)
    thread.start()
    try:
        assert consumer.ready.wait(15), "the consumer did not start"
        yield consumer
    finally:
        stop.set()
        thread.join(timeout=20)
        assert not thread.is_alive(), "the consumer did not stop"


def metadata(event_id: str | None = None, at: datetime | None = None) -> catalog_events_pb2.EventMetadata:
    return event_codec.metadata(
        uuid.UUID(event_id) if event_id else uuid.uuid4(), at or datetime.now(UTC), "booking", "req-test"
    )


def order_confirmed(
    signer: TicketSigner, seats: int = 2, *, subject: str | None = None, email: str | None = None
) -> order_events_pb2.OrderConfirmed:
    event_id = str(uuid.uuid4())
    subject = subject or f"customer-{uuid.uuid4().hex[:8]}"
    tickets = []
    for index in range(seats):
        ticket_id = str(uuid.uuid4())
        seat = f"floor-B-{index + 1}"
        tickets.append(
            order_events_pb2.IssuedTicket(
                ticket=f"tickets/{ticket_id}", seat_id=seat, section="Floor", row="B",
                seat_label=str(index + 1), price_tier_id="standard", price_tier_name="Standard",
                price_minor=900_000,
                code=signer.sign(ticket_id, event_id, seat, datetime.now(UTC)),
            )
        )  # fmt: skip
    return order_events_pb2.OrderConfirmed(
        metadata=metadata(),
        order=f"orders/{uuid.uuid4()}",
        order_reference=f"AT-{uuid.uuid4().hex[:8].upper()}",
        buyer=order_events_pb2.Buyer(
            subject=subject, display_name="Nimali Perera", email=email or f"{subject}@example.test"
        ),
        event=order_events_pb2.EventSummary(
            event=f"events/{event_id}", display_name="Monsoon Beats", venue_name="Galle Face Arena",
            city="Colombo", start_time=proto_time.timestamp(datetime.now(UTC) + timedelta(days=30)),
            time_zone="Asia/Colombo",
        ),
        tickets=tickets,
        total_minor=900_000 * seats,
        currency_code="LKR",
    )  # fmt: skip


def order_refunded(
    order: order_events_pb2.OrderConfirmed, voided: list[str], reason: str = "PROVIDER_REFUND"
) -> order_events_pb2.OrderRefunded:
    return order_events_pb2.OrderRefunded(
        metadata=metadata(),
        order=order.order,
        order_reference=order.order_reference,
        buyer=order.buyer,
        event=order.event,
        voided_tickets=voided,
        amount_minor=order.total_minor,
        currency_code=order.currency_code,
        reason=reason,
    )


def wait_until(condition: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


def drain(amqp_url: str, queue: str) -> list[str]:
    """The message ids in `queue`, acked away."""
    ids: list[str] = []
    with contextlib.closing(BlockingConnection(pika.URLParameters(amqp_url))) as conn:
        channel = conn.channel()
        while True:
            method, properties, _ = channel.basic_get(queue)
            if method is None:
                return ids
            ids.append(properties.message_id)
            channel.basic_ack(method.delivery_tag)


def qr_codes(pdf: bytes) -> list[str]:
    """Every QR code on every page, read from pixels as a phone would: rasterize, then decode."""
    document = pypdfium2.PdfDocument(io.BytesIO(pdf))
    found = []
    for page in document:
        image = page.render(scale=2).to_pil()
        found += [r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode]
    document.close()
    return found


def page_count(pdf: bytes) -> int:
    document = pypdfium2.PdfDocument(io.BytesIO(pdf))
    try:
        return len(document)
    finally:
        document.close()


def assert_tickets_mail(
    mail: CaughtMail, order: order_events_pb2.OrderConfirmed, signer: TicketSigner
) -> None:
    """One PDF per ticket, each one page whose QR code verifies and names its ticket, event and seat.
    The acceptance check of the full hold, checkout, webhook, email test too: that test needs only to
    take the OrderConfirmed facts from the booking side instead of building them here."""
    pdfs = mail.pdfs()
    assert len(pdfs) == len(order.tickets)
    keys = {signer.key_id: signer.public_key}
    event_id = order.event.event.removeprefix("events/")
    claims: list[TicketClaims] = []
    for _, pdf in pdfs:
        assert page_count(pdf) == 1
        [code] = qr_codes(pdf)
        claims.append(verify(code, keys))
    expected = {(t.ticket.removeprefix("tickets/"), event_id, t.seat_id) for t in order.tickets}
    assert {(c.ticket_id, c.event_id, c.seat_id) for c in claims} == expected


@dataclass
class NotificationStack:
    """A real notification gRPC server (port 0) with its container, and the SMTP catcher it sends to."""

    server: NotificationServer[Container]
    catcher: MailCatcher

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.server.port}"

    def ticket(self, order: order_events_pb2.OrderConfirmed) -> None:
        """What the consumer does with the event, minus the broker (the consumer tests cover that)."""
        decoded = decode(order.DESCRIPTOR.full_name, order.SerializeToString())
        assert isinstance(decoded, Confirmed)
        self.server.container.delivery.order_confirmed(decoded.event_id, decoded.caused_at, decoded.order)

    def refund(self, refund: order_events_pb2.OrderRefunded) -> None:
        decoded = decode(refund.DESCRIPTOR.full_name, refund.SerializeToString())
        assert isinstance(decoded, Refunded)
        self.server.container.delivery.order_refunded(decoded.event_id, decoded.caused_at, decoded.notice)


@pytest.fixture(scope="session")
async def notification_stack(
    notification_db: str, identity: Any, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[NotificationStack]:
    """Session-wide; `identity` is the e2e tier's JWKS server (tests/e2e/conftest.py)."""
    folder = tmp_path_factory.mktemp("notification")
    catcher = MailCatcher(folder / "mail", port=free_port()).start()
    settings = notification_settings(
        notification_db, "", catcher, folder / "tickets",
        oidc_issuer=identity.server.issuer, oidc_audience=AUDIENCE, oidc_jwks_url=identity.server.jwks_url,
    )  # fmt: skip
    server = NotificationServer(bootstrap.build(settings), "127.0.0.1:0")
    await server.start()
    yield NotificationStack(server, catcher)
    await server.stop(0.2)
    catcher.stop()
