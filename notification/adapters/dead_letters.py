"""Dead letters back into service: once the cause of a failure is fixed (a bug, a missing migration, a
template), the messages that failed their last attempt are replayed into their consumer's queue, where
the idempotent handler treats them as new. Each is moved with a publisher confirm before its dead copy
is acked, so a crash mid-replay duplicates a message (harmless) but never loses one."""

from __future__ import annotations

import logging
from contextlib import closing
from typing import Any

import pika
import pika.exceptions
from pika.adapters.blocking_connection import BlockingConnection

from apextick_platform import bus_topology
from notification.service_layer.ports import DeadLetterInfo, TransientError

log = logging.getLogger(__name__)

# RabbitMQ's record of the dead-lettering; a replayed message starts a fresh life without it.
_DEATH_HEADERS = frozenset({
    "x-death", "x-delivery-count",
    "x-first-death-exchange", "x-first-death-queue", "x-first-death-reason",
    "x-last-death-exchange", "x-last-death-queue", "x-last-death-reason",
})  # fmt: skip


def _death(headers: dict[str, Any]) -> tuple[str, int, str]:
    """Why it was parked, how often, and the routing key it was first published with (the dead copy
    travels under the dead-letter routing key; RabbitMQ keeps the original in x-death)."""
    deaths = [d for d in headers.get("x-death") or [] if isinstance(d, dict)]
    count = sum(int(d.get("count", 1)) for d in deaths)
    keys = deaths[-1].get("routing-keys", []) if deaths else []  # the oldest death is last
    original = keys[0].decode() if keys and isinstance(keys[0], bytes) else str(keys[0]) if keys else ""
    return str(headers.get("x-first-death-reason", "")), count, original


def peek_dead_letters(amqp_url: str, queue: str, limit: int) -> list[DeadLetterInfo]:
    """Read up to `limit` parked messages without taking them: none is acked, so closing the channel
    hands every one back to the queue."""
    found: list[DeadLetterInfo] = []
    with closing(BlockingConnection(pika.URLParameters(amqp_url))) as connection:
        channel = connection.channel()
        while len(found) < limit:
            method, properties, body = channel.basic_get(
                bus_topology.dead_letter_queue(queue), auto_ack=False
            )
            if method is None:
                break
            reason, deaths, routing_key = _death(dict(properties.headers or {}))
            message_id, kind = properties.message_id or "", properties.type or ""
            found.append(DeadLetterInfo(message_id, kind, routing_key, reason, deaths, len(body)))
    return found


def replay_dead_letters(
    amqp_url: str, queue: str, limit: int = 10_000, only: frozenset[str] | None = None
) -> int:
    """Move up to `limit` messages from `<queue>.dead` back to `queue` (only those whose message id is
    in `only`, when given: the others are left unacked and go back when the channel closes); returns
    how many moved."""
    dead = bus_topology.dead_letter_queue(queue)
    moved = seen = 0
    with closing(BlockingConnection(pika.URLParameters(amqp_url))) as connection:
        channel = connection.channel()
        channel.confirm_delivery()
        while moved < limit and seen < limit:
            method, properties, body = channel.basic_get(dead, auto_ack=False)
            if method is None:
                break
            seen += 1
            if only is not None and properties.message_id not in only:
                continue
            headers = {k: v for k, v in (properties.headers or {}).items() if k not in _DEATH_HEADERS}
            properties.headers = headers or None
            # The default exchange routes to the queue by name: only this consumer sees the replay.
            channel.basic_publish("", queue, body, properties, mandatory=True)
            channel.basic_ack(method.delivery_tag)
            moved += 1
            log.info("replayed a dead letter", extra={"message_id": properties.message_id, "queue": queue})
    return moved


class RabbitDeadLetters:
    """The consumer's dead-letter queue on RabbitMQ (blocking pika: called from a worker thread)."""

    def __init__(self, amqp_url: str, queue: str) -> None:
        self._url = amqp_url
        self._queue = queue

    def peek(self, limit: int) -> list[DeadLetterInfo]:
        try:
            return peek_dead_letters(self._url, self._queue, limit)
        except pika.exceptions.AMQPError as exc:
            raise TransientError("the message broker is unavailable") from exc

    def replay(self, only: frozenset[str] | None) -> int:
        try:
            return replay_dead_letters(self._url, self._queue, only=only)
        except pika.exceptions.AMQPError as exc:
            raise TransientError("the message broker is unavailable") from exc
