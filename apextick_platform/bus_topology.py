"""The RabbitMQ topology of the event bus, declared idempotently by whoever connects first.

Every queue is a durable quorum queue with an explicit delivery limit (RabbitMQ 3.10 sets none, so a
poison message would be redelivered forever) and a dead-letter exchange. Declaring is idempotent only
while the arguments stay the same: changing one of them on an existing queue makes the broker refuse the
declaration (PRECONDITION_FAILED), so a change means a new queue name or a migration of the old queue.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pika.adapters.blocking_connection import BlockingChannel

EXCHANGE = "apextick.events"
DEAD_LETTER_EXCHANGE = "apextick.events.dlx"
AUDIT_QUEUE = "apextick.events.audit"
AUDIT_MAX_LENGTH = 100_000
DEFAULT_DELIVERY_LIMIT = 5


def dead_letter_queue(name: str) -> str:
    return f"{name}.dead"


def declare_exchanges(channel: BlockingChannel) -> None:
    channel.exchange_declare(EXCHANGE, exchange_type="topic", durable=True)
    channel.exchange_declare(DEAD_LETTER_EXCHANGE, exchange_type="topic", durable=True)


def declare_consumer_queue(
    channel: BlockingChannel,
    name: str,
    routing_keys: Iterable[str],
    delivery_limit: int = DEFAULT_DELIVERY_LIMIT,
) -> None:
    """A consumer's quorum queue bound to `routing_keys` on the events exchange. A message delivered
    `delivery_limit` times without an ack is dead-lettered, with its routing key replaced by the queue's
    name, so it lands in `<name>.dead` whatever event it was."""
    if delivery_limit < 1:
        raise ValueError("delivery_limit must be at least 1")
    if "*" in name or "#" in name:
        raise ValueError("a queue name is its dead letters' routing key: no topic wildcards")
    declare_exchanges(channel)
    dead = dead_letter_queue(name)
    # The dead-letter queue is the end of the line: no delivery limit (it would drop what reaches it)
    # and no dead-letter exchange of its own. Declared first, so nothing is dead-lettered into the void.
    channel.queue_declare(dead, durable=True, arguments={"x-queue-type": "quorum"})
    channel.queue_bind(dead, DEAD_LETTER_EXCHANGE, routing_key=name)
    arguments: dict[str, Any] = {
        "x-queue-type": "quorum",
        "x-delivery-limit": delivery_limit,
        "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE,
        "x-dead-letter-routing-key": name,
        # At-least-once dead-lettering keeps a message in this queue until `<name>.dead` has confirmed
        # it (the default, at-most-once, drops it if the hop fails). It requires reject-publish overflow.
        "x-dead-letter-strategy": "at-least-once",
        "x-overflow": "reject-publish",
    }
    channel.queue_declare(name, durable=True, arguments=arguments)
    for key in routing_keys:
        channel.queue_bind(name, EXCHANGE, routing_key=key)


def declare_audit_queue(channel: BlockingChannel, max_length: int = AUDIT_MAX_LENGTH) -> None:
    """A catch-all queue bound to `#`, so that every event is routable whether or not its consumers have
    declared their queues yet, and the last `max_length` events are kept for inspection (the oldest are
    dropped, never the publish refused: a full audit queue must not stall the relay)."""
    declare_exchanges(channel)
    channel.queue_declare(
        AUDIT_QUEUE,
        durable=True,
        arguments={"x-queue-type": "quorum", "x-max-length": max_length, "x-overflow": "drop-head"},
    )
    channel.queue_bind(AUDIT_QUEUE, EXCHANGE, routing_key="#")
