"""The outbox relay against the real PostgreSQL and RabbitMQ (`make test` starts both): every committed
row reaches a quorum queue at least once, with its id as message_id and its payload intact, through a
relay killed between confirm and mark, two relays at once and a broker restart; a poison message ends
in the dead-letter queue; a NOTIFY wakes the relay long before its poll would."""

from __future__ import annotations

import contextlib
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pika
import pika.exceptions
import psycopg
import pytest
from apextick.events.v1 import inventory_events_pb2 as inv
from pika.adapters.blocking_connection import BlockingChannel, BlockingConnection

from apextick_platform import bus_topology, proto_time
from apextick_platform.settings import sqlalchemy_url
from booking.adapters import event_codec
from booking.adapters.amqp_publisher import ConfirmingPublisher, Outgoing, PublishRejectedError
from booking.adapters.outbox_relay import (
    CONTENT_TYPE,
    NOTIFY_CHANNEL,
    open_publisher,
    relay_once,
    run_relay,
)
from booking.adapters.relay_metrics import RelayMetrics
from booking.settings import BookingSettings, RelaySettings
from tests.http_probe import probe

pytestmark = pytest.mark.integration

SERVICES = Path(__file__).resolve().parents[2] / "scripts" / "services.sh"
INSERT = """
INSERT INTO outbox (id, aggregate, aggregate_id, type, routing_key, payload, created_at)
VALUES (%s, 'hold', %s, %s, %s, %s, %s)
"""


@dataclass(frozen=True)
class Delivered:
    message_id: str
    body: bytes
    properties: pika.BasicProperties
    routing_key: str


@dataclass
class Bus:
    """One test's AMQP connection: the relay's publisher, a channel to declare and consume on, the
    test's own routing key and its queues (deleted afterwards)."""

    connection: BlockingConnection
    publisher: ConfirmingPublisher
    channel: BlockingChannel
    routing_key: str = field(default_factory=lambda: f"test.{uuid.uuid4().hex[:12]}.seats_held")
    queues: list[str] = field(default_factory=list)

    def consumer_queue(self, delivery_limit: int = 5) -> str:
        name = f"test.relay.{uuid.uuid4().hex[:12]}"
        bus_topology.declare_consumer_queue(self.channel, name, [self.routing_key], delivery_limit)
        self.queues += [name, bus_topology.dead_letter_queue(name)]
        return name


@pytest.fixture(scope="module")
def outbox_url(database_url: str) -> str:
    """Rows that other tiers' tests left unpublished in this session's database are not ours to
    publish: on the shared broker they would reach whatever is bound there. Set them aside."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("UPDATE outbox SET published_at = now() WHERE published_at IS NULL")
    return database_url


@pytest.fixture
def db(outbox_url: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(outbox_url, autocommit=True) as conn:
        yield conn


@pytest.fixture
def bus(amqp_url: str) -> Iterator[Bus]:
    connection = BlockingConnection(pika.URLParameters(amqp_url))
    publisher = open_publisher(connection, bus_topology.AUDIT_MAX_LENGTH)
    state = Bus(connection, publisher, connection.channel())
    yield state
    # A broker restart (test d) kills this connection: clean up on a fresh one.
    with closing(BlockingConnection(pika.URLParameters(amqp_url))) as cleanup:
        channel = cleanup.channel()
        for name in state.queues:
            channel.queue_delete(name)
    with contextlib.suppress(pika.exceptions.AMQPError):
        connection.close()


def settings_for(database_url: str, amqp_url: str, **relay: Any) -> BookingSettings:
    return BookingSettings(
        database_url=sqlalchemy_url(database_url), relay=RelaySettings(amqp_url=amqp_url, **relay)
    )


def seats_held(row_id: UUID, seat: int) -> bytes:
    now = datetime.now(UTC)
    return inv.SeatsHeld(
        metadata=event_codec.metadata(row_id, now, "customer-1", f"req-{row_id.hex[:8]}"),
        hold=f"holds/{uuid.uuid4()}",
        event=f"events/{uuid.uuid4()}",
        customer="customer-1",
        seat_ids=[f"A-{seat}"],
        expire_time=proto_time.timestamp(now + timedelta(minutes=10)),
    ).SerializeToString()


def insert_rows(db: psycopg.Connection[Any], routing_key: str, count: int) -> dict[str, bytes]:
    """`count` SeatsHeld rows committed in one transaction; returns payload by row id."""
    rows = {}
    start = datetime.now(UTC)
    params = []
    for seat in range(count):
        row_id = uuid.uuid4()
        payload = seats_held(row_id, seat)
        rows[str(row_id)] = payload
        params.append(
            (
                row_id,
                str(row_id),
                inv.SeatsHeld.DESCRIPTOR.full_name,
                routing_key,
                payload,
                start + timedelta(microseconds=seat),
            )
        )
    with db.transaction(), db.cursor() as cur:
        cur.executemany(INSERT, params)
    return rows


def unpublished(db: psycopg.Connection[Any], ids: Sequence[str]) -> int:
    row = db.execute(
        "SELECT count(*) FROM outbox WHERE id = ANY(%s::uuid[]) AND published_at IS NULL", (list(ids),)
    ).fetchone()
    assert row is not None
    return int(row[0])


def drain(channel: BlockingChannel, queue: str) -> list[Delivered]:
    """Everything in `queue` now. Confirms mean enqueued, so after the relay returns nothing is in flight."""
    delivered: list[Delivered] = []
    while True:
        method, properties, body = channel.basic_get(queue)
        if method is None:
            return delivered
        delivered.append(Delivered(properties.message_id, body, properties, method.routing_key))
        channel.basic_ack(method.delivery_tag)


def relay_all(db: psycopg.Connection[Any], publisher: ConfirmingPublisher, batch_size: int = 50) -> int:
    total = 0
    while published := relay_once(db, publisher, batch_size):
        total += published
    return total


def wait_until(condition: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


@contextmanager
def relay_thread(settings: BookingSettings, **kwargs: Any) -> Iterator[threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(target=run_relay, args=(settings, stop), kwargs=kwargs, daemon=True)
    thread.start()
    try:
        yield stop
    finally:
        stop.set()
        thread.join(timeout=15)
        assert not thread.is_alive(), "the relay did not stop"


def test_rows_are_delivered_once_with_their_id_and_payload(db: psycopg.Connection[Any], bus: Bus) -> None:
    queue = bus.consumer_queue()
    rows = insert_rows(db, bus.routing_key, 120)

    assert relay_all(db, bus.publisher, batch_size=50) == 120

    delivered = drain(bus.channel, queue)
    assert sorted(d.message_id for d in delivered) == sorted(rows)  # each row exactly once
    for message in delivered:
        assert message.body == rows[message.message_id]
        assert message.routing_key == bus.routing_key
        assert message.properties.delivery_mode == pika.DeliveryMode.Persistent.value
        assert message.properties.type == "apextick.events.v1.SeatsHeld"
        assert message.properties.content_type == CONTENT_TYPE
        assert message.properties.timestamp is not None
        assert inv.SeatsHeld.FromString(message.body).metadata.event_id == message.message_id
    assert unpublished(db, list(rows)) == 0


def test_a_relay_killed_between_confirm_and_mark_loses_nothing(db: psycopg.Connection[Any], bus: Bus) -> None:
    queue = bus.consumer_queue()
    rows = insert_rows(db, bus.routing_key, 30)
    confirmed: list[UUID] = []

    def killed(ids: Sequence[UUID]) -> None:
        confirmed.extend(ids)
        raise SystemExit("killed after the broker's confirm, before the mark")

    with pytest.raises(SystemExit):
        relay_once(db, bus.publisher, 100, after_confirm=killed)

    assert sorted(map(str, confirmed)) == sorted(rows)  # the broker confirmed every one...
    assert unpublished(db, list(rows)) == 30  # ...and none is marked
    assert relay_all(db, bus.publisher) == 30  # the next relay publishes them again
    assert unpublished(db, list(rows)) == 0

    delivered = drain(bus.channel, queue)
    assert len(delivered) == 60
    by_id: dict[str, list[bytes]] = {}
    for message in delivered:
        by_id.setdefault(message.message_id, []).append(message.body)
    assert set(by_id) == set(rows)  # nothing lost
    assert all(bodies == [rows[mid], rows[mid]] for mid, bodies in by_id.items())  # same id, same bytes


def test_two_relays_share_the_rows(
    db: psycopg.Connection[Any], bus: Bus, outbox_url: str, amqp_url: str
) -> None:
    queue = bus.consumer_queue()
    rows = insert_rows(db, bus.routing_key, 500)
    settings = settings_for(outbox_url, amqp_url, batch_size=20)
    by_relay: list[list[UUID]] = [[], []]
    metrics = [RelayMetrics(), RelayMetrics()]

    with relay_thread(settings, after_confirm=by_relay[0].extend, metrics=metrics[0]):  # noqa: SIM117
        with relay_thread(settings, after_confirm=by_relay[1].extend, metrics=metrics[1]):
            assert wait_until(lambda: unpublished(db, list(rows)) == 0, timeout=30)

    first, second = ({str(i) for i in ids} for ids in by_relay)
    assert first | second == set(rows)
    assert first, "both relays should have taken part"
    assert second, "both relays should have taken part"
    delivered = drain(bus.channel, queue)
    assert {d.message_id for d in delivered} == set(rows)  # none lost
    if all(m.snapshot().failures_total == 0 for m in metrics):
        # Without a failure SKIP LOCKED gives every row to exactly one relay.
        assert not first & second
        assert len(delivered) == 500


def test_a_broker_restart_loses_nothing(
    db: psycopg.Connection[Any], bus: Bus, outbox_url: str, amqp_url: str
) -> None:
    queue = bus.consumer_queue()
    rows = insert_rows(db, bus.routing_key, 2000)
    settings = settings_for(outbox_url, amqp_url, batch_size=20)
    metrics = RelayMetrics()

    def slow(_: Sequence[UUID]) -> None:
        time.sleep(0.02)  # stretch the run so the restart lands mid-publish

    with relay_thread(settings, after_confirm=slow, metrics=metrics):
        assert wait_until(lambda: unpublished(db, list(rows)) < 1900, timeout=10)
        subprocess.run([str(SERVICES), "restart", "rabbitmq"], check=True, capture_output=True, timeout=120)  # noqa: S603
        assert wait_until(lambda: unpublished(db, list(rows)) == 0, timeout=40)

    assert metrics.snapshot().failures_total >= 1, "the restart should have interrupted the relay"
    with closing(BlockingConnection(pika.URLParameters(amqp_url))) as connection:
        delivered = drain(connection.channel(), queue)
    assert {d.message_id for d in delivered} == set(rows)  # every row at least once
    assert all(d.body == rows[d.message_id] for d in delivered)


def test_an_unroutable_batch_is_refused_not_confirmed(bus: Bus) -> None:
    """The mandatory flag at work: on an exchange with no queue bound, the whole batch fails, so the
    relay would mark none of it. (On apextick.events the audit queue makes every key routable.)"""
    exchange = f"test.unbound.{uuid.uuid4().hex[:12]}"
    bus.channel.exchange_declare(exchange, exchange_type="topic", auto_delete=True)
    publisher = ConfirmingPublisher(bus.connection, exchange)
    publisher.start_confirms()
    message = Outgoing(bus.routing_key, b"x", pika.BasicProperties(message_id="m-1"))
    with pytest.raises(PublishRejectedError, match="returned m-1"):
        publisher.publish([message, message])
    bus.channel.exchange_delete(exchange)


def test_a_poison_message_is_dead_lettered_after_the_delivery_limit(bus: Bus) -> None:
    queue = bus.consumer_queue(delivery_limit=2)
    bus_topology.declare_consumer_queue(bus.channel, queue, [bus.routing_key], 2)  # idempotent
    message_id = str(uuid.uuid4())
    properties = pika.BasicProperties(delivery_mode=2, message_id=message_id)
    bus.publisher.publish([Outgoing(bus.routing_key, b"poison", properties)])
    dead = bus_topology.dead_letter_queue(queue)
    deliveries = 0

    def rejected_until_dead() -> bool:
        nonlocal deliveries
        method, _, _ = bus.channel.basic_get(queue)
        if method is not None:
            deliveries += 1
            bus.channel.basic_nack(method.delivery_tag, requeue=True)
        return int(bus.channel.queue_declare(dead, passive=True).method.message_count) == 1

    assert wait_until(rejected_until_dead, timeout=10, interval=0.02)
    assert deliveries == 3  # the first delivery plus two redeliveries, then dead-lettered
    assert bus.channel.queue_declare(queue, passive=True).method.message_count == 0
    [letter] = drain(bus.channel, dead)
    assert (letter.message_id, letter.body) == (message_id, b"poison")
    deaths = (letter.properties.headers or {}).get("x-death", [])
    assert deaths
    assert deaths[0]["reason"] == "delivery_limit"


def test_the_trigger_notifies_only_when_the_outbox_was_empty(
    db: psycopg.Connection[Any], bus: Bus, outbox_url: str
) -> None:
    with psycopg.connect(outbox_url, autocommit=True) as listener:
        listener.execute(f"LISTEN {NOTIFY_CHANNEL}")
        insert_rows(db, bus.routing_key, 2)  # into an empty outbox: the relay must be woken
        assert len(list(listener.notifies(timeout=2, stop_after=1))) == 1
        insert_rows(db, bus.routing_key, 3)  # behind unpublished rows: the relay is busy, no lock taken
        assert list(listener.notifies(timeout=0.3)) == []
        assert relay_all(db, bus.publisher) == 5
        insert_rows(db, bus.routing_key, 1)
        assert len(list(listener.notifies(timeout=2, stop_after=1))) == 1
        assert relay_all(db, bus.publisher) == 1


def test_notify_wakes_the_relay_before_its_poll(
    db: psycopg.Connection[Any], bus: Bus, outbox_url: str, amqp_url: str, unused_tcp_port: int
) -> None:
    queue = bus.consumer_queue()
    settings = settings_for(
        outbox_url,
        amqp_url,
        poll_interval_seconds=10.0,
        report_interval_seconds=0.0,
        metrics_port=unused_tcp_port,
    )
    first = insert_rows(db, bus.routing_key, 1)
    with relay_thread(settings):
        assert wait_until(lambda: unpublished(db, list(first)) == 0, timeout=10)
        time.sleep(0.5)  # the relay found nothing more and waits: on LISTEN, and a 10 s poll
        started = time.monotonic()
        second = insert_rows(db, bus.routing_key, 1)
        assert wait_until(lambda: unpublished(db, list(second)) == 0, timeout=2, interval=0.01)
        woke_in = time.monotonic() - started
        metrics = scrape(unused_tcp_port)

    assert woke_in < 2.0
    assert {d.message_id for d in drain(bus.channel, queue)} == set(first) | set(second)
    assert metrics["apextick_outbox_published_total"] == 2
    assert metrics["apextick_outbox_backlog"] == 0
    assert (
        metrics["apextick_outbox_commit_to_confirm_seconds_count"] == 2
    )  # a histogram: adds up across relays
    assert metrics['apextick_outbox_commit_to_confirm_seconds_bucket{le="10.0"}'] == 2


def scrape(port: int) -> dict[str, float]:
    def sample() -> dict[str, float]:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            text = response.read().decode()
        return {
            name: float(value)
            for name, value in (line.rsplit(" ", 1) for line in text.splitlines() if not line.startswith("#"))
        }

    # The gauges follow the batch that published the row by a moment.
    wait_until(lambda: sample()["apextick_outbox_published_total"] == 2, timeout=2)
    return sample()


def readiness(port: int) -> tuple[int, dict[str, Any]]:
    return probe(port, "/readyz")


def test_the_relay_is_ready_only_while_it_reaches_the_broker(
    outbox_url: str, amqp_url: str, unused_tcp_port: int, unused_tcp_port_factory: Any
) -> None:
    """Readiness comes from the relay's own rounds: a broker nobody listens on keeps it unready (and
    says which dependency), the real broker makes it ready; it stays live either way."""
    nowhere = f"amqp://guest:guest@127.0.0.1:{unused_tcp_port_factory()}/%2F"
    unreachable = settings_for(outbox_url, nowhere, metrics_port=unused_tcp_port, report_interval_seconds=0.0)
    with relay_thread(unreachable):
        assert wait_until(lambda: readiness(unused_tcp_port)[0] == 503, timeout=10)
        status, body = readiness(unused_tcp_port)
        assert (status, body["live"], body["dependencies"]["rabbitmq"]) == (503, True, False)
    port = unused_tcp_port_factory()
    reachable = settings_for(outbox_url, amqp_url, metrics_port=port, report_interval_seconds=0.0)
    with relay_thread(reachable):
        assert wait_until(lambda: readiness(port)[0] == 200, timeout=10)
        assert readiness(port)[1]["dependencies"] == {"postgres": True, "rabbitmq": True}
