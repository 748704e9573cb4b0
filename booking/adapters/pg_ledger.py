"""The payment ledger in raw psycopg 3: verified notices applied one transaction each (pg_payments.py),
and the orders the reconciler looks at."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from booking.adapters.pg_order_rows import ORDER_SELECT, order_from_row
from booking.adapters.pg_payments import apply_notice
from booking.domain.order import Order
from booking.domain.payment import PaymentNotice
from booking.service_layer.order_ports import TicketCodes
from booking.service_layer.payment_ports import NoticeResult
from booking.service_layer.ports import Clock

STALE = """
SELECT o.id FROM purchase_order o JOIN hold h ON h.id = o.hold_id
WHERE o.state = 'PENDING_PAYMENT' AND (o.payment_deadline <= %(now)s OR h.status <> 'ACTIVE')
ORDER BY o.payment_deadline LIMIT %(limit)s
"""

OPEN_SESSIONS = """
SELECT o.id FROM purchase_order o JOIN payment p ON p.order_id = o.id
WHERE o.state IN ('CANCELLED', 'EXPIRED') AND p.session_id <> '' AND p.session_closed_at IS NULL
LIMIT %(limit)s
"""


class PgPaymentLedger:
    def __init__(
        self, pool: AsyncConnectionPool[AsyncConnection[Any]], clock: Clock, codes: TicketCodes
    ) -> None:
        self._pool = pool
        self._clock = clock
        self._codes = codes

    async def apply(self, notice: PaymentNotice) -> NoticeResult:
        async with self._pool.connection() as conn:
            return await apply_notice(conn, notice, self._clock(), self._codes)

    async def stale(self, now: datetime, limit: int) -> Sequence[Order]:
        return await self._orders_by(STALE, {"now": now, "limit": limit})

    async def open_sessions_of_ended_orders(self, limit: int) -> Sequence[Order]:
        return await self._orders_by(OPEN_SESSIONS, {"limit": limit})

    async def _orders_by(self, query: str, params: dict[str, Any]) -> Sequence[Order]:
        """The orders whose ids `query` selects, read in one statement (not one read per order)."""
        async with self._pool.connection() as conn:
            ids = [row[0] for row in await (await conn.execute(query, params)).fetchall()]
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(ORDER_SELECT + " WHERE o.id = ANY(%s)", (ids,))
            return [order_from_row(row) for row in await cur.fetchall()]

    async def mark_session_closed(self, order_id: UUID) -> None:
        async with self._pool.connection() as conn:
            await conn.execute(
                "UPDATE payment SET session_closed_at = %s WHERE order_id = %s AND session_closed_at IS NULL",
                (self._clock(), order_id),
            )
