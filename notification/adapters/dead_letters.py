"""Dead letters back into service: once the cause of a failure is fixed (a bug, a missing migration, a
template), the messages that failed their last attempt are replayed into their consumer's queue, where
the idempotent handler treats them as new. Each is moved with a publisher confirm before its dead copy
is acked, so a crash mid-replay duplicates a message (harmless) but never loses one."""

from __future__ import annotations

import logging
from contextlib import closing

import pika
from pika.adapters.blocking_connection import BlockingConnection

from apextick_platform import bus_topology

log = logging.getLogger(__name__)

# RabbitMQ's record of the dead-lettering; a replayed message starts a fresh life without it.
_DEATH_HEADERS = frozenset({
    "x-death", "x-delivery-count",
    "x-first-death-exchange", "x-first-death-queue", "x-first-death-reason",
    "x-last-death-exchange", "x-last-death-queue", "x-last-death-reason",
})  # fmt: skip


def replay_dead_letters(amqp_url: str, queue: str, limit: int = 10_000) -> int:
    """Move up to `limit` messages from `<queue>.dead` back to `queue`; returns how many moved."""
    dead = bus_topology.dead_letter_queue(queue)
    moved = 0
    with closing(BlockingConnection(pika.URLParameters(amqp_url))) as connection:
        channel = connection.channel()
        channel.confirm_delivery()
        while moved < limit:
            method, properties, body = channel.basic_get(dead, auto_ack=False)
            if method is None:
                break
            headers = {k: v for k, v in (properties.headers or {}).items() if k not in _DEATH_HEADERS}
            properties.headers = headers or None
            # The default exchange routes to the queue by name: only this consumer sees the replay.
            channel.basic_publish("", queue, body, properties, mandatory=True)
            channel.basic_ack(method.delivery_tag)
            moved += 1
            log.info("replayed a dead letter", extra={"message_id": properties.message_id, "queue": queue})
    return moved
