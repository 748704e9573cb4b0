"""The consumer process: bus messages to use cases, and the sweep that sends queued resends."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from typing import Protocol

from prometheus_client import CollectorRegistry

from apextick_platform.metrics import MetricsEndpoint, stop_serving
from notification.adapters.amqp_consumer import BeforeAck, BusConsumer, ConsumerCollector, Handler, Incoming
from notification.adapters.bus_messages import Confirmed, Ignored, Refunded, decode
from notification.service_layer.ports import TransientError
from notification.service_layer.ticket_delivery import TicketDelivery
from notification.settings import NotificationSettings

log = logging.getLogger(__name__)

# A resend younger than this may still be in its RPC's transaction or just committed: the sweep leaves
# it a moment rather than racing nothing (the row lock would make a race harmless, only wasteful).
RESEND_GRACE = timedelta(milliseconds=200)


class Backend(Protocol):
    """What the consumer needs of the composition root (`bootstrap.Container` is one)."""

    @property
    def settings(self) -> NotificationSettings: ...
    @property
    def delivery(self) -> TicketDelivery: ...
    @property
    def registry(self) -> CollectorRegistry: ...


def message_handler(delivery: TicketDelivery) -> Handler:
    def handle(message: Incoming) -> None:
        decoded = decode(message.type_name, message.body, message.message_id)
        if isinstance(decoded, Confirmed):
            delivery.order_confirmed(decoded.event_id, decoded.caused_at, decoded.order)
        elif isinstance(decoded, Refunded):
            delivery.order_refunded(decoded.event_id, decoded.caused_at, decoded.notice)
        elif isinstance(decoded, Ignored):
            log.debug(
                "event needs no email", extra={"type": decoded.type_name, "message_id": message.message_id}
            )

    return handle


def resend_sweep(delivery: TicketDelivery, stop: threading.Event, interval: float) -> None:
    while not stop.is_set():
        try:
            delivery.send_pending(RESEND_GRACE)
        except TransientError as exc:
            log.warning("resend sweep failed; will retry", extra={"error": str(exc)})
        except Exception:
            log.exception("resend sweep failed")
        stop.wait(interval)


def consume(container: Backend, stop: threading.Event, before_ack: BeforeAck | None = None) -> BusConsumer:
    """Build the consumer (call `.run()` to consume until `stop`)."""
    settings = container.settings
    return BusConsumer(
        settings.amqp_url,
        settings.queue,
        settings.routing_keys,
        message_handler(container.delivery),
        prefetch=settings.prefetch,
        policy=settings.redelivery,
        stop=stop,
        before_ack=before_ack,
        report_interval=settings.report_interval_seconds,
    )


def run_consumer(
    container: Backend,
    stop: threading.Event,
    before_ack: BeforeAck | None = None,
    metrics: MetricsEndpoint | None = None,
) -> None:
    """Bus consumer in this thread, resend sweep in another, until `stop`; its counts and probes are
    served at `metrics`."""
    sweeper = threading.Thread(
        target=resend_sweep,
        args=(container.delivery, stop, container.settings.resend_poll_seconds),
        name="resend-sweep",
        daemon=True,
    )
    sweeper.start()
    consumer = consume(container, stop, before_ack)
    registry = container.registry  # the mailer's counts are already there
    registry.register(ConsumerCollector(consumer.stats, container.settings.queue))
    served = (metrics or MetricsEndpoint()).start(registry, consumer.probes)
    try:
        consumer.run()
    finally:
        stop_serving(served)
    sweeper.join(timeout=10)
