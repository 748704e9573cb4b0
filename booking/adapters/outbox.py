"""The one writer of the transactional outbox. Every path that changes state (the raw psycopg claim,
orders and payments, and the SQLAlchemy unit of work of the catalog) writes its domain events here, on
the connection of its own transaction, so an event commits or rolls back with the change it reports."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from sqlalchemy.ext.asyncio import AsyncSession

from booking.adapters.event_codec import outbox_row
from booking.domain.events import DomainEvent
from booking.service_layer.ports import Clock, IdFactory

INSERT_OUTBOX = """
INSERT INTO outbox (id, aggregate, aggregate_id, type, routing_key, payload, created_at)
VALUES (%(id)s, %(aggregate)s, %(aggregate_id)s, %(type)s, %(routing_key)s, %(payload)s, %(created_at)s)
"""


async def write_outbox(
    conn: AsyncConnection[Any],
    event: DomainEvent,
    now: datetime,
    actor: str,
    request_id: str,
    row_id: UUID | None = None,
) -> None:
    await conn.execute(INSERT_OUTBOX, outbox_row(event, row_id or uuid.uuid4(), now, actor, request_id))


class SqlOutbox:
    """The outbox port for the unit of work: the same writer, on the session's own connection (and so
    inside its transaction)."""

    def __init__(self, session: AsyncSession, clock: Clock, new_id: IdFactory) -> None:
        self._session = session
        self._clock = clock
        self._new_id = new_id

    async def add(self, event: DomainEvent, *, actor: str, request_id: str) -> None:
        connection = await self._session.connection()
        raw = await connection.get_raw_connection()
        driver: AsyncConnection[Any] = raw.driver_connection  # type: ignore[assignment]
        await write_outbox(driver, event, self._clock(), actor, request_id, self._new_id())
