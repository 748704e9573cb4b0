"""The PostgreSQL unit of work: one AsyncSession, one transaction, every store bound to it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from types import TracebackType
from typing import Self
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from booking.adapters.outbox import SqlOutbox
from booking.adapters.sql_events import SqlEventStore, SqlInventoryStore, SqlPriceTierStore
from booking.adapters.sql_outbox import SqlIdempotencyStore
from booking.adapters.sql_venues import SqlSeatMapStore, SqlVenueStore


class SqlUnitOfWork:
    """READ COMMITTED, the PostgreSQL default: row locks and conditional UPDATEs give the
    guarantees we need without serialization failures to retry."""

    venues: SqlVenueStore
    seat_maps: SqlSeatMapStore
    events: SqlEventStore
    tiers: SqlPriceTierStore
    inventory: SqlInventoryStore
    outbox: SqlOutbox
    idempotency: SqlIdempotencyStore

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Callable[[], datetime],
        new_id: Callable[[], UUID],
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._new_id = new_id
        self._session: AsyncSession | None = None

    async def __aenter__(self) -> Self:
        session = self._sessions()
        self._session = session
        self.venues = SqlVenueStore(session)
        self.seat_maps = SqlSeatMapStore(session)
        self.events = SqlEventStore(session)
        self.tiers = SqlPriceTierStore(session)
        self.inventory = SqlInventoryStore(session)
        self.outbox = SqlOutbox(session, self._clock, self._new_id)
        self.idempotency = SqlIdempotencyStore(session)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._session is not None  # noqa: S101 - only reachable after __aenter__
        try:
            await self._session.rollback()  # a no-op after commit; undoes everything otherwise
        finally:
            await self._session.close()
            self._session = None

    async def commit(self) -> None:
        assert self._session is not None  # noqa: S101 - only reachable after __aenter__
        await self._session.commit()
