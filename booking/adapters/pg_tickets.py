"""Issued tickets in raw psycopg 3, newest first (the ledger writes them when an order is paid)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from booking.adapters.pg_order_rows import TICKET_COLUMNS, newest_first, ticket_from_row
from booking.domain.ticket import Ticket
from booking.service_layer.ports import Cursor


class PgTickets:
    def __init__(self, pool: AsyncConnectionPool[AsyncConnection[Any]]) -> None:
        self._pool = pool

    async def tickets_for(
        self, customer: str, order_id: UUID | None, after: Cursor | None, limit: int
    ) -> Sequence[Ticket]:
        query = f"SELECT {TICKET_COLUMNS} FROM ticket WHERE customer = %(customer)s"  # noqa: S608 - constants
        params: dict[str, Any] = {"customer": customer, "order": order_id}
        if order_id is not None:
            query += " AND order_id = %(order)s"
        query = newest_first(query, "issued_at, id", after, limit, params)
        async with self._pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(query, params)
            return [ticket_from_row(row) for row in await cur.fetchall()]

    async def ticket(self, ticket_id: UUID) -> Ticket | None:
        async with self._pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(f"SELECT {TICKET_COLUMNS} FROM ticket WHERE id = %s", (ticket_id,))  # noqa: S608
            row = await cur.fetchone()
        return ticket_from_row(row) if row else None
