"""The transactional-outbox relay: publishes committed outbox rows to RabbitMQ, at least once (I5).

One batch is one PostgreSQL transaction: claim unpublished rows with `FOR UPDATE SKIP LOCKED` (so several
relays share the work and none waits on another; never a high-water mark, which skips rows whose ids
become visible out of order), publish them all as persistent messages with the mandatory flag, wait until
the broker has confirmed every one (amqp_publisher pipelines them: a batch costs about one round trip),
then mark the batch published and commit. A crash anywhere before that commit rolls the claim back and
the rows are published again: consumers see a duplicate with the same message_id, never a gap.

Unroutable messages: the relay declares `apextick.events.audit`, a catch-all queue bound to `#`, so every
event is routable even before its consumers have declared their queues. A message returned as unroutable
therefore means the topology was torn down under us; it is treated as a failure (batch rolled back,
topology re-declared on reconnect, batch retried), never marked published, because a message that no
queue took is a lost event.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pika
import pika.exceptions
import psycopg
from pika.adapters.blocking_connection import BlockingConnection
from psycopg.rows import class_row

from apextick_platform import bus_topology
from apextick_platform.metrics import MetricsEndpoint, stop_serving
from apextick_platform.probes import Readiness
from apextick_platform.settings import SettingsError
from booking.adapters.amqp_publisher import ConfirmingPublisher, Outgoing, PublishError
from booking.adapters.relay_metrics import RelayMetrics
from booking.settings import BookingSettings, RelaySettings

log = logging.getLogger(__name__)

NOTIFY_CHANNEL = "apextick_outbox"
CONTENT_TYPE = "application/x-protobuf"

CLAIM = """
SELECT id, type, routing_key, payload, created_at FROM outbox
WHERE published_at IS NULL ORDER BY created_at LIMIT %(limit)s FOR UPDATE SKIP LOCKED
"""
MARK = "UPDATE outbox SET published_at = now() WHERE id = ANY(%(ids)s)"
BACKLOG = """
SELECT count(*), coalesce(extract(epoch FROM now() - min(created_at))::float8, 0)
FROM outbox WHERE published_at IS NULL
"""

# The trigger (migration 0003) notifies only when it sees no other unpublished row, i.e. when the relay
# should be idle: a row committed just after the relay's last, empty claim may therefore have skipped its
# notification because it saw the previous batch still unmarked. One more claim this long after a batch
# catches it, instead of the poll interval.
SETTLE_SECONDS = 0.05

# Called with the batch's ids after the broker confirmed every message and before the rows are marked:
# a test raises here to play "relay killed between confirm and mark".
AfterConfirm = Callable[[Sequence[UUID]], None]

# What a relay survives by reconnecting: the broker or the database going away, refusing, or returning.
DEPENDENCIES = ("postgres", "rabbitmq")


def _failed_dependency(failure: BaseException) -> str:
    return "postgres" if isinstance(failure, psycopg.Error) else "rabbitmq"


RECOVERABLE = (
    pika.exceptions.AMQPError,
    PublishError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
    OSError,
)


@dataclass(frozen=True)
class OutboxMessage:
    id: UUID
    type: str
    routing_key: str
    payload: bytes
    created_at: datetime


def outgoing(message: OutboxMessage) -> Outgoing:
    """The row id is the message id consumers deduplicate on; the timestamp is when the event was
    committed (AMQP timestamps are whole seconds), not when this attempt published it."""
    properties = pika.BasicProperties(
        delivery_mode=pika.DeliveryMode.Persistent,
        message_id=str(message.id),
        type=message.type,
        content_type=CONTENT_TYPE,
        timestamp=int(message.created_at.timestamp()),
    )
    return Outgoing(message.routing_key, bytes(message.payload), properties)


def open_publisher(connection: BlockingConnection, audit_max_length: int) -> ConfirmingPublisher:
    """A confirming publisher on a declared topology (idempotent, so every reconnect re-declares)."""
    publisher = ConfirmingPublisher(connection, bus_topology.EXCHANGE)
    bus_topology.declare_exchanges(publisher.channel)
    bus_topology.declare_audit_queue(publisher.channel, audit_max_length)
    publisher.start_confirms()
    return publisher


def relay_once(
    db: psycopg.Connection[Any],
    publisher: ConfirmingPublisher,
    batch_size: int,
    *,
    after_confirm: AfterConfirm | None = None,
    metrics: RelayMetrics | None = None,
) -> int:
    """Publish one batch and mark it; returns how many rows were published. Raises, with nothing
    marked, if any message is nacked, returned or left unconfirmed."""
    started = time.monotonic()
    with db.transaction(), db.cursor(row_factory=class_row(OutboxMessage)) as cur:
        batch = cur.execute(CLAIM, {"limit": batch_size}).fetchall()
        if not batch:
            return 0
        publisher.publish([outgoing(message) for message in batch])
        confirmed_at = datetime.now(UTC)
        ids = [message.id for message in batch]
        if after_confirm is not None:
            after_confirm(ids)
        cur.execute(MARK, {"ids": ids})
    if metrics is not None:
        latencies = [(confirmed_at - message.created_at).total_seconds() for message in batch]
        metrics.batch_published(len(batch), time.monotonic() - started, latencies)
    return len(batch)


class Backoff:
    """Exponential with full jitter, so relays that lost the same broker do not return in lockstep."""

    def __init__(self, first: float = 0.2, cap: float = 5.0) -> None:
        self._first, self._cap, self._attempt = first, cap, 0

    def reset(self) -> None:
        self._attempt = 0

    def next(self) -> float:
        ceiling = min(self._cap, self._first * 2**self._attempt)
        self._attempt += 1
        return random.uniform(ceiling / 2, ceiling)  # noqa: S311 (jitter, not a secret)


class OutboxRelay:
    """The relay loop of one process: a claiming connection, a LISTEN connection and one AMQP channel,
    each reopened after a failure."""

    def __init__(
        self,
        database_url: str,
        settings: RelaySettings,
        metrics: RelayMetrics,
        *,
        after_confirm: AfterConfirm | None = None,
        audit_max_length: int = bus_topology.AUDIT_MAX_LENGTH,
        probes: Readiness | None = None,
    ) -> None:
        self._database_url = database_url
        self._settings = settings
        self._metrics = metrics
        self._probes = probes or Readiness(DEPENDENCIES, stale_seconds=float("inf"))
        self._after_confirm = after_confirm
        self._audit_max_length = audit_max_length
        self._db: psycopg.Connection[Any] | None = None
        self._listener: psycopg.Connection[Any] | None = None
        self._amqp: BlockingConnection | None = None
        self._publisher: ConfirmingPublisher | None = None

    def run(self, stop: threading.Event) -> None:
        backoff = Backoff()
        next_report = 0.0
        just_published = False
        try:
            while not stop.is_set():
                try:
                    db, publisher = self._connect()
                    published = relay_once(
                        db,
                        publisher,
                        self._settings.batch_size,
                        after_confirm=self._after_confirm,
                        metrics=self._metrics,
                    )
                    backoff.reset()
                    for dependency in DEPENDENCIES:
                        self._probes.mark(dependency, up=True)
                    if time.monotonic() >= next_report:
                        self._report(db)
                        next_report = time.monotonic() + self._settings.report_interval_seconds
                    if published == 0:
                        self._wait(
                            stop, SETTLE_SECONDS if just_published else self._settings.poll_interval_seconds
                        )
                    just_published = published > 0
                except RECOVERABLE as failure:
                    self._metrics.batch_failed()
                    self._probes.mark(_failed_dependency(failure), up=False)
                    delay = backoff.next()
                    log.warning(
                        "outbox relay failed; reconnecting", extra={"retry_in_s": delay}, exc_info=True
                    )
                    self._disconnect()
                    stop.wait(delay)
        finally:
            self._disconnect()

    def _connect(self) -> tuple[psycopg.Connection[Any], ConfirmingPublisher]:
        if self._db is None:
            self._db = psycopg.connect(self._database_url, autocommit=True, connect_timeout=5)
            # A relay hung mid-batch would keep its rows locked (and skipped by the others) for as long
            # as it lives; past the broker's own timeouts PostgreSQL ends its transaction instead.
            self._db.execute("SET idle_in_transaction_session_timeout = '120s'")
        if self._listener is None:
            self._listener = psycopg.connect(self._database_url, autocommit=True, connect_timeout=5)
            self._listener.execute(f"LISTEN {NOTIFY_CHANNEL}")
        if self._amqp is None or self._publisher is None:
            params = pika.URLParameters(self._settings.amqp_url)
            # A broker under a resource alarm blocks publishers silently; give up on it instead of
            # holding the batch's row locks forever.
            params.blocked_connection_timeout = 30
            self._amqp = BlockingConnection(params)
            self._publisher = open_publisher(self._amqp, self._audit_max_length)
            log.info("outbox relay connected", extra={"exchange": bus_topology.EXCHANGE})
        return self._db, self._publisher

    def _wait(self, stop: threading.Event, seconds: float) -> None:
        """Until a NOTIFY on the outbox channel, the poll interval, or stop. Notifications that arrived
        while a batch was publishing are queued on the connection and end the wait at once. The AMQP
        connection is served between slices so its heartbeats keep flowing."""
        listener, amqp = self._listener, self._amqp
        if listener is None or amqp is None:
            return
        deadline = time.monotonic() + seconds
        while not stop.is_set() and amqp.is_open:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            for _ in listener.notifies(timeout=min(remaining, 0.5), stop_after=1):
                return
            amqp.process_data_events(time_limit=0)

    def _report(self, db: psycopg.Connection[Any]) -> None:
        backlog, lag = db.execute(BACKLOG).fetchone() or (0, 0.0)
        self._metrics.set_backlog(int(backlog), float(lag))
        log.info("outbox relay", extra=self._metrics.snapshot().log_fields())

    def _disconnect(self) -> None:
        if self._amqp is not None and self._amqp.is_open:
            with contextlib.suppress(*RECOVERABLE):
                self._amqp.close()
        for conn in (self._db, self._listener):
            if conn is not None:
                with contextlib.suppress(*RECOVERABLE):
                    conn.close()
        self._db = self._listener = None
        self._amqp = self._publisher = None


def run_relay(
    settings: BookingSettings,
    stop: threading.Event,
    *,
    after_confirm: AfterConfirm | None = None,
    metrics: RelayMetrics | None = None,
) -> None:
    """The relay process's composition root: runs until `stop` is set, reconnecting as needed."""
    relay_settings = settings.relay
    if not relay_settings.amqp_url:
        raise SettingsError("APEXTICK_AMQP_URL must be set for the relay")
    metrics = metrics or RelayMetrics()
    # Live while the loop turns: it waits at most a poll interval between rounds.
    probes = Readiness(DEPENDENCIES, stale_seconds=max(30.0, 3 * relay_settings.poll_interval_seconds))
    endpoint = MetricsEndpoint(relay_settings.metrics_host, relay_settings.metrics_port)
    server = endpoint.start(metrics.registry, probes)
    if server is not None:
        host, port = server.server_address[:2]
        log.info("outbox relay metrics", extra={"url": f"http://{host!s}:{port}/metrics"})
    try:
        relay = OutboxRelay(
            settings.libpq_url, relay_settings, metrics, after_confirm=after_confirm, probes=probes
        )
        relay.run(stop)
    finally:
        stop_serving(server)
