"""The bus side of the end-to-end tests: the outbox relay in a thread and throwaway consumer queues."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pika
from apextick.events.v1 import order_events_pb2
from pika.adapters.blocking_connection import BlockingConnection

from apextick_platform import bus_topology
from apextick_platform.settings import sqlalchemy_url
from booking.adapters.outbox_relay import run_relay
from booking.settings import BookingSettings, RelaySettings


@contextmanager
def order_confirmations(amqp_url: str) -> Iterator[tuple[BlockingConnection, str]]:
    """A throwaway consumer queue bound to OrderConfirmed, deleted afterwards."""
    connection = BlockingConnection(pika.URLParameters(amqp_url))
    channel = connection.channel()
    name = f"test.orders.{uuid.uuid4().hex[:12]}"
    bus_topology.declare_consumer_queue(channel, name, ["orders.order_confirmed"])
    try:
        yield connection, name
    finally:
        channel.queue_delete(name)
        channel.queue_delete(bus_topology.dead_letter_queue(name))
        connection.close()


@contextmanager
def running_relay(database_url: str, amqp_url: str) -> Iterator[None]:
    settings = BookingSettings(
        database_url=sqlalchemy_url(database_url),
        relay=RelaySettings(amqp_url=amqp_url, poll_interval_seconds=0.2),
    )
    stop = threading.Event()
    thread = threading.Thread(target=run_relay, args=(settings, stop), daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(10)


def wait_for_confirmation(
    connection: BlockingConnection, queue: str, order: str
) -> order_events_pb2.OrderConfirmed:
    channel = connection.channel()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        method, properties, body = channel.basic_get(queue, auto_ack=True)
        if method is None:
            time.sleep(0.1)
            continue
        assert properties.type == "apextick.events.v1.OrderConfirmed"
        message = order_events_pb2.OrderConfirmed.FromString(body)
        if message.order == order:
            assert properties.message_id == message.metadata.event_id
            return message
    raise AssertionError(f"no OrderConfirmed for {order} on the bus")
