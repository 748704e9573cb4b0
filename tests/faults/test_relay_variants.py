"""The relay checker (every committed outbox row reaches the bus) against the real relay and against a
deliberately broken one that polls by high-water mark: two transactions commit out of the order of
their rows' timestamps, the way concurrent checkouts do, and the broken relay skips the late one for
ever. On the real PostgreSQL and RabbitMQ."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from psycopg.rows import class_row

from booking.adapters.amqp_publisher import ConfirmingPublisher
from booking.adapters.outbox_relay import MARK, OutboxMessage, outgoing, relay_once
from tests.faults import checkers
from tests.faults.test_broken_variants import record
from tests.integration.test_outbox_relay import INSERT, Bus, bus, db, drain, outbox_url, seats_held

pytestmark = pytest.mark.integration
__all__ = ["bus", "db", "outbox_url"]  # fixtures, used by name

Relay = Callable[[psycopg.Connection[Any], ConfirmingPublisher], int]

SINCE = """
SELECT id, type, routing_key, payload, created_at FROM outbox
WHERE created_at > %(mark)s ORDER BY created_at LIMIT 100
"""


class HighWaterMarkRelay:
    """BROKEN: remembers the newest row it published and asks only for rows after it. A row whose
    transaction commits after a later-stamped row was published is never seen again."""

    def __init__(self) -> None:
        self.mark = datetime.now(UTC)

    def __call__(self, db: psycopg.Connection[Any], publisher: ConfirmingPublisher) -> int:
        with db.transaction(), db.cursor(row_factory=class_row(OutboxMessage)) as cur:
            batch = cur.execute(SINCE, {"mark": self.mark}).fetchall()
            if batch:
                publisher.publish([outgoing(message) for message in batch])
                cur.execute(MARK, {"ids": [message.id for message in batch]})
                self.mark = batch[-1].created_at
        return len(batch)


def real_relay(db: psycopg.Connection[Any], publisher: ConfirmingPublisher) -> int:
    return relay_once(db, publisher, 100)


def insert(conn: psycopg.Connection[Any], routing_key: str) -> str:
    row_id = uuid.uuid4()
    name = "apextick.inventory.v1.SeatsHeld"
    conn.execute(INSERT, (row_id, str(row_id), name, routing_key, seats_held(row_id, 1), datetime.now(UTC)))
    return str(row_id)


@pytest.mark.parametrize("broken", [False, True], ids=["real", "high-water-mark"])
def test_events_lost_catches_a_relay_that_polls_by_high_water_mark(
    outbox_url: str, db: psycopg.Connection[Any], bus: Bus, broken: bool
) -> None:
    relay: Relay = HighWaterMarkRelay() if broken else real_relay
    queue = bus.consumer_queue()
    with psycopg.connect(outbox_url) as late:  # a transaction that stamps its row first, commits last
        early_stamped = insert(late, bus.routing_key)
        late_stamped = insert(db, bus.routing_key)  # autocommit: committed at once
        relay(db, bus.publisher)
        late.commit()
    relay(db, bus.publisher)
    relay(db, bus.publisher)
    delivered = [message.message_id for message in drain(bus.channel, queue)]
    lost = checkers.events_lost([early_stamped, late_stamped], delivered)
    record("events_lost", "HighWaterMarkRelay" if broken else "real", lost)
    assert lost == (1 if broken else 0)
