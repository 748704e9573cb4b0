"""The audit log, read newest first in raw psycopg 3 (PgOrderRefunds writes it inside each action's
own transaction, so an action and its entry commit together or not at all)."""

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


class PgAuditTrail:
    def __init__(self, pool: AsyncConnectionPool[AsyncConnection[Any]]) -> None:
        self._pool = pool

    async def entries(self, after: tuple[datetime, int] | None, limit: int) -> Sequence[AuditEntry]:
        at, entry_id = after or (None, 0)
        async with self._pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(ENTRIES, {"after_at": at, "after_id": entry_id, "limit": limit})
            return [AuditEntry(**row) for row in await cur.fetchall()]
