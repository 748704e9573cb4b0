"""The RabbitMQ consumer: manual acks after the side effect is committed, bounded prefetch, backoff, and
the quorum queue's delivery limit as the one place a message's retries end (in `<queue>.dead`).

Threads: pika's BlockingConnection is not thread-safe, so one thread owns it (heartbeats, deliveries,
acks) and handlers run on a pool as large as the prefetch. A handler thread never touches the channel:
it hands its ack or nack back with `add_callback_threadsafe`. So a slow render or mail server never
starves the heartbeat, and a backoff sleeps in the handler's thread, not in the connection's.

Outcomes of one delivery:
- handled (or a known event that is not ours): ack.
- TransientError (database or mail server in trouble): the message is not at fault, so it is kept and
  the same work retried in place with capped exponential backoff, without counting a delivery.
- anything else (unreadable, unknown type, rendering failed): back to the queue after a backoff that
  grows with x-delivery-count; the quorum queue counts it and dead-letters it past the limit. The last
  attempt is logged and counted as dead-lettered.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pika
import pika.exceptions
import pika.spec
from pika.adapters.blocking_connection import BlockingChannel, BlockingConnection
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from apextick_platform import bus_topology
from apextick_platform.probes import Readiness
from notification.domain.redelivery import RedeliveryPolicy
from notification.service_layer.ports import TransientError

log = logging.getLogger(__name__)

RECONNECT_SECONDS = 2.0
DRAIN_SECONDS = 10.0  # how long a stopping consumer waits for handlers in flight to settle


@dataclass(frozen=True)
class Incoming:
    message_id: str
    type_name: str
    routing_key: str
    body: bytes
    delivery_count: int  # earlier failed deliveries (x-delivery-count); 0 on the first


Handler = Callable[[Incoming], None]
BeforeAck = Callable[[Incoming], None]


@dataclass
class ConsumerStats:
    handled: int = 0
    returned: int = 0
    dead_lettered: int = 0
    transient_retries: int = 0
    dead_letter_depth: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, name: str, amount: int = 1) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + amount)

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return {k: v for k, v in vars(self).items() if not k.startswith("_")}


class ConsumerCollector(Collector):
    """The consumer's counts for Prometheus, read from its stats at each scrape."""

    def __init__(self, stats: ConsumerStats, queue: str) -> None:
        self._stats = stats
        self._queue = queue

    def collect(self) -> Iterator[Metric]:
        snap = self._stats.snapshot()
        messages = CounterMetricFamily(
            "apextick_consumer_messages", "Bus messages by outcome", labels=["queue", "outcome"]
        )
        for outcome in ("handled", "returned", "dead_lettered", "transient_retries"):
            messages.add_metric([self._queue, outcome], snap[outcome])
        yield messages
        depth = GaugeMetricFamily(
            "apextick_dead_letter_depth", "Messages in the queue's dead-letter queue", labels=["queue"]
        )
        depth.add_metric([self._queue], snap["dead_letter_depth"])
        yield depth


def incoming(method: pika.spec.Basic.Deliver, properties: pika.BasicProperties, body: bytes) -> Incoming:
    headers = properties.headers or {}
    return Incoming(
        properties.message_id or "",
        properties.type or "",
        method.routing_key or "",
        body,
        int(headers.get("x-delivery-count", 0) or 0),
    )


class BusConsumer:
    def __init__(
        self,
        amqp_url: str,
        queue: str,
        routing_keys: tuple[str, ...],
        handle: Handler,
        *,
        prefetch: int,
        policy: RedeliveryPolicy,
        stop: threading.Event,
        before_ack: BeforeAck | None = None,
        report_interval: float = 30.0,
    ) -> None:
        self._url = amqp_url
        self._queue = queue
        self._keys = routing_keys
        self._handle = handle
        self._prefetch = prefetch
        self._policy = policy
        self._stop = stop
        self._before_ack = before_ack  # tests play "killed between commit and ack" here
        self._report_interval = report_interval
        self.stats = ConsumerStats()
        self.ready = threading.Event()  # set once the queue is declared and consumption started
        # For /livez and /readyz: the loop beats every quarter second; the broker is up while consuming.
        self.probes = Readiness(["rabbitmq"], stale_seconds=30.0)

    def run(self) -> None:
        """Consume until `stop` is set, reconnecting after any broker trouble."""
        with ThreadPoolExecutor(self._prefetch, thread_name_prefix="notify") as pool:
            while not self._stop.is_set():
                try:
                    self._session(pool)
                except (pika.exceptions.AMQPError, OSError) as exc:
                    self.ready.clear()
                    self.probes.mark("rabbitmq", up=False)
                    log.warning("bus connection lost; reconnecting", extra={"error": repr(exc)})
                    self._stop.wait(RECONNECT_SECONDS)

    def _session(self, pool: ThreadPoolExecutor) -> None:
        parameters = pika.URLParameters(self._url)
        parameters.heartbeat = 30
        connection = BlockingConnection(parameters)
        try:
            channel = connection.channel()
            bus_topology.declare_consumer_queue(channel, self._queue, self._keys, self._policy.delivery_limit)
            channel.basic_qos(prefetch_count=self._prefetch)
            in_flight = [0]
            on_message = functools.partial(self._dispatch, pool, connection, in_flight)
            tag = channel.basic_consume(self._queue, on_message)
            self.ready.set()
            self.probes.mark("rabbitmq", up=True)
            log.info("consuming", extra={"queue": self._queue, "prefetch": self._prefetch})
            self._loop(connection, channel)
            channel.basic_cancel(tag)  # no new deliveries; the ones in flight still settle below
            connection.process_data_events(time_limit=0)
            self._drain(connection, in_flight)
        finally:
            with contextlib.suppress(pika.exceptions.AMQPError, OSError):
                if connection.is_open:
                    connection.close()

    def _loop(self, connection: BlockingConnection, channel: BlockingChannel) -> None:
        next_report = time.monotonic()
        while not self._stop.is_set():
            connection.process_data_events(time_limit=0.25)
            self.probes.beat()
            if time.monotonic() >= next_report:
                next_report = time.monotonic() + self._report_interval
                self._report(channel)

    def _report(self, channel: BlockingChannel) -> None:
        """The dead-letter queue's depth is the figure an operator watches: nonzero means messages
        this service gave up on, waiting to be inspected and replayed."""
        dead = bus_topology.dead_letter_queue(self._queue)
        depth = int(channel.queue_declare(dead, passive=True).method.message_count)
        self.stats.dead_letter_depth = depth
        level = logging.WARNING if depth else logging.INFO
        log.log(level, "consumer report", extra={"queue": self._queue, **self.stats.snapshot()})

    def _drain(self, connection: BlockingConnection, in_flight: list[int]) -> None:
        waited = 0.0
        while in_flight[0] and waited < DRAIN_SECONDS and connection.is_open:
            connection.process_data_events(time_limit=0.1)
            waited += 0.1

    def _dispatch(
        self,
        pool: ThreadPoolExecutor,
        connection: BlockingConnection,
        in_flight: list[int],
        channel: BlockingChannel,
        method: pika.spec.Basic.Deliver,
        properties: pika.BasicProperties,
        body: bytes,
    ) -> None:
        in_flight[0] += 1
        message = incoming(method, properties, body)
        pool.submit(self._work, connection, channel, method.delivery_tag, message, in_flight)

    def _work(
        self,
        connection: BlockingConnection,
        channel: BlockingChannel,
        tag: int,
        message: Incoming,
        in_flight: list[int],
    ) -> None:
        ack = self._attempt(message)
        if ack and self._before_ack is not None:
            self._before_ack(message)
        if not ack:
            # Backoff before the message goes back: a broken message must not burn its attempts at
            # once. The wait ends early on shutdown (the message then goes back at once).
            self._stop.wait(self._policy.backoff(message.delivery_count))
        settle = functools.partial(_settle, channel, tag, ack, in_flight)
        try:
            connection.add_callback_threadsafe(settle)
        except (pika.exceptions.AMQPError, OSError):
            # The connection died under us: the broker redelivers the message, and the idempotent
            # handler finds what this attempt committed.
            log.info("could not settle; the broker will redeliver", extra={"message_id": message.message_id})

    def _attempt(self, message: Incoming) -> bool:
        """True to ack. Transient trouble is retried here, in place, until it clears or we stop."""
        retry = 0
        while True:
            try:
                self._handle(message)
                self.stats.add("handled")
                return True
            except TransientError as exc:
                self.stats.add("transient_retries")
                delay = min(self._policy.cap_seconds, self._policy.base_seconds * 2**retry)
                retry += 1
                log.warning(
                    "transient failure; retrying in place",
                    extra={"message_id": message.message_id, "error": str(exc), "retry_in_s": delay},
                )
                if self._stop.wait(delay):
                    return False
            except Exception as exc:  # noqa: BLE001 - any other failure is the message's: count it
                self._poisoned(message, exc)
                return False

    def _poisoned(self, message: Incoming, exc: Exception) -> None:
        fields: dict[str, Any] = {
            "message_id": message.message_id,
            "type": message.type_name,
            "routing_key": message.routing_key,
            "delivery_count": message.delivery_count,
            "error": repr(exc)[:500],
        }
        if self._policy.is_last_attempt(message.delivery_count):
            self.stats.add("dead_lettered")
            log.error("message failed its last attempt; dead-lettering", extra=fields)
        else:
            self.stats.add("returned")
            log.warning("message failed; returning it for another attempt", extra=fields)


def _settle(channel: BlockingChannel, tag: int, ack: bool, in_flight: list[int]) -> None:  # noqa: FBT001
    in_flight[0] -= 1
    if not channel.is_open:
        return  # the broker has already put it back
    if ack:
        channel.basic_ack(tag)
    else:
        channel.basic_nack(tag, requeue=True)
