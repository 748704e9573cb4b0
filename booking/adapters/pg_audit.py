"""The audit log in raw psycopg 3, read newest first. PgOrderRefunds writes money actions inside their
own transaction, so an action and its entry commit together or not at all; `record` writes the entry of
an action taken elsewhere (the identity provider's), once per actor, action and request id."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from booking.service_layer.payment_ports import AuditEntry

ENTRIES = """
SELECT id, actor, action, target, request_id, detail::text AS detail, at FROM audit_log
WHERE %(after_at)s::timestamptz IS NULL OR (at, id) < (%(after_at)s, %(after_id)s)
ORDER BY at DESC, id DESC LIMIT %(limit)s
"""

FIND = """
SELECT id, actor, action, target, request_id, detail::text AS detail, at FROM audit_log
WHERE actor = %s AND action = %s AND request_id = %s
"""
# The one way an entry is written, here and inside PgOrderRefunds' transactions.
RECORD_ENTRY = """
INSERT INTO audit_log (actor, action, target, request_id, detail, at) VALUES (%s, %s, %s, %s, %s, %s)
ON CONFLICT ON CONSTRAINT uq_audit_log_request DO NOTHING
"""


class PgAuditTrail:
    def __init__(self, pool: AsyncConnectionPool[AsyncConnection[Any]]) -> None:
        self._pool = pool

    async def entries(self, after: tuple[datetime, int] | None, limit: int) -> Sequence[AuditEntry]:
        at, entry_id = after or (None, 0)
        async with self._pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(ENTRIES, {"after_at": at, "after_id": entry_id, "limit": limit})
            return [AuditEntry(**row) for row in await cur.fetchall()]

    async def find(self, actor: str, action: str, request_id: str) -> AuditEntry | None:
        async with self._pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(FIND, (actor, action, request_id))
            row = await cur.fetchone()
            return AuditEntry(**row) if row else None

    async def record(self, entry: AuditEntry) -> None:
        async with self._pool.connection() as conn:
            await conn.execute(
                RECORD_ENTRY,
                (entry.actor, entry.action, entry.target, entry.request_id, entry.detail, entry.at),
            )
