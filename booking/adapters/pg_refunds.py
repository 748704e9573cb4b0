"""Refunds owed, in raw psycopg 3: the ledger records each once per order (primary key order_id); these
calls follow it until the provider confirms."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from booking.domain.payment import Provider
from booking.service_layer.payment_ports import REFUND_LEASE, RefundDue
from booking.service_layer.ports import Clock

# Due: pending and not leased (or the lease lapsed). Taking them leases them, and SKIP LOCKED lets two
# reconcilers share the work without sending one refund twice.
REFUNDS_DUE = """
UPDATE refund SET leased_until = %(until)s
WHERE order_id IN (
    SELECT order_id FROM refund
    WHERE status = 'PENDING' AND (leased_until IS NULL OR leased_until < %(now)s)
    ORDER BY updated_at LIMIT %(limit)s FOR UPDATE SKIP LOCKED
)
RETURNING order_id, provider, payment_ref, amount_minor, currency_code
"""


class PgRefunds:
    def __init__(self, pool: AsyncConnectionPool[AsyncConnection[Any]], clock: Clock) -> None:
        self._pool = pool
        self._clock = clock

    async def refunds_due(self, limit: int) -> Sequence[RefundDue]:
        async with self._pool.connection() as conn:
            now = self._clock()
            params = {"limit": limit, "now": now, "until": now + REFUND_LEASE}
            rows = await (await conn.execute(REFUNDS_DUE, params)).fetchall()
        return [RefundDue(row[0], Provider(row[1]), row[2], row[3], row[4]) for row in rows]

    async def finish_refund(
        self, order_id: UUID, provider_refund_id: str, *, manual: bool, error: str
    ) -> None:
        async with self._pool.connection() as conn:
            await conn.execute(
                "UPDATE refund SET status = %s, provider_refund_id = %s, last_error = %s, updated_at = %s, "
                "attempts = attempts + 1 WHERE order_id = %s AND status = 'PENDING'",
                ("MANUAL" if manual else "SUCCEEDED", provider_refund_id, error, self._clock(), order_id),
            )

    async def retry_refund_later(self, order_id: UUID, error: str) -> None:
        async with self._pool.connection() as conn:
            await conn.execute(
                "UPDATE refund SET attempts = attempts + 1, last_error = %s, updated_at = %s, "
                "leased_until = NULL WHERE order_id = %s AND status = 'PENDING'",
                (error[:500], self._clock(), order_id),
            )
