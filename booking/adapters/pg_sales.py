"""The organizer's sales figures, read in raw psycopg 3 from the tables the sale itself writes (seats,
holds, orders, payments, refunds, tickets, gate conflicts), in one REPEATABLE READ snapshot so every
figure of a dashboard describes the same instant."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from booking.adapters.pg_order_rows import contains_pattern, event_organizer, newest_first
from booking.service_layer.ports import Cursor
from booking.service_layer.sales_ports import Attendee, Dashboard, Minute, Revenue, SellThrough

GROSS = """
SELECT o.currency_code, sum(p.captured_minor)::bigint
FROM purchase_order o JOIN payment p ON p.order_id = o.id
WHERE o.event_id = %(event)s AND p.captured_at IS NOT NULL GROUP BY 1
"""
REFUNDED = """
SELECT r.currency_code, sum(r.amount_minor)::bigint FROM refund r JOIN purchase_order o ON o.id = r.order_id
WHERE o.event_id = %(event)s GROUP BY 1
"""
BY_TIER = """
SELECT tier_id, count(*), count(*) FILTER (WHERE status = 'BOOKED'), count(*) FILTER (WHERE status = 'HELD')
FROM event_seat WHERE event_id = %(event)s GROUP BY 1 ORDER BY 1
"""
BY_SECTION = """
SELECT s.section_id, count(*), count(*) FILTER (WHERE es.status = 'BOOKED'),
       count(*) FILTER (WHERE es.status = 'HELD')
FROM event_seat es JOIN event e ON e.id = es.event_id
JOIN seat s ON s.seat_map_id = e.seat_map_id AND s.seat_id = es.seat_id
WHERE es.event_id = %(event)s GROUP BY 1 ORDER BY 1
"""
IN_FLIGHT = """
SELECT count(*), coalesce(sum(cardinality(seat_ids)), 0) FROM hold
WHERE event_id = %(event)s AND status = 'ACTIVE' AND expires_at > %(now)s
"""
FUNNEL = """
SELECT (SELECT count(*) FROM hold WHERE event_id = %(event)s),
       (SELECT count(*) FROM purchase_order WHERE event_id = %(event)s),
       (SELECT count(*) FROM purchase_order o JOIN payment p ON p.order_id = o.id
        WHERE o.event_id = %(event)s AND p.captured_at IS NOT NULL),
       (SELECT count(*) FROM ticket WHERE event_id = %(event)s AND admitted_at IS NOT NULL),
       (SELECT count(*) FROM gate_conflict WHERE event_id = %(event)s)
"""
PER_MINUTE = """
WITH marks AS (
    SELECT date_trunc('minute', created_at) AS minute, 1 AS holds, 0 AS paid FROM hold
    WHERE event_id = %(event)s AND created_at >= %(since)s
    UNION ALL
    SELECT date_trunc('minute', p.captured_at), 0, 1 FROM payment p JOIN purchase_order o ON o.id = p.order_id
    WHERE o.event_id = %(event)s AND p.captured_at >= %(since)s
)
SELECT minute, sum(holds)::int, sum(paid)::int FROM marks GROUP BY 1 ORDER BY 1
"""
ATTENDEES = """
SELECT t.id, t.seat_id, t.tier_id, t.order_id, o.reference, o.customer_name, o.customer_email, t.status,
       t.issued_at, t.admitted_at
FROM ticket t JOIN purchase_order o ON o.id = t.order_id
WHERE t.event_id = %(event)s
  AND (%(query)s = '' OR o.customer_name ILIKE %(like)s OR o.customer_email ILIKE %(like)s
       OR o.reference ILIKE %(like)s OR t.seat_id ILIKE %(like)s)
"""
WINDOW = timedelta(days=1)


class PgSales:
    def __init__(self, pool: AsyncConnectionPool[AsyncConnection[Any]]) -> None:
        self._pool = pool

    async def event_owner(self, event_id: UUID) -> str | None:
        return await event_organizer(self._pool, event_id)

    async def dashboard(self, event_id: UUID, now: datetime) -> Dashboard:
        params = {"event": event_id, "now": now, "since": now - WINDOW}
        async with self._pool.connection() as conn, conn.transaction():
            await conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")

            async def rows(query: str) -> list[tuple[Any, ...]]:
                return list(await (await conn.execute(query, params)).fetchall())

            gross, refunded = dict(await rows(GROSS)), dict(await rows(REFUNDED))
            tiers, sections = await rows(BY_TIER), await rows(BY_SECTION)
            [(holds, seats)] = await rows(IN_FLIGHT)
            [(made, checkouts, paid, admitted, conflicts)] = await rows(FUNNEL)
            minutes = await rows(PER_MINUTE)
        return Dashboard(
            revenue=tuple(
                Revenue(c, int(gross.get(c, 0)), int(refunded.get(c, 0))) for c in sorted({*gross, *refunded})
            ),
            tiers=tuple(SellThrough(*row) for row in tiers),
            sections=tuple(SellThrough(*row) for row in sections),
            holds_in_flight=holds,
            seats_in_flight=int(seats),
            funnel=(made, checkouts, paid, admitted),
            per_minute=tuple(Minute(*row) for row in minutes),
            scan_conflicts=conflicts,
        )

    async def attendees(
        self, event_id: UUID, query: str, after: Cursor | None, limit: int
    ) -> Sequence[Attendee]:
        params: dict[str, Any] = {"event": event_id, "query": query, "like": contains_pattern(query)}
        sql = newest_first(ATTENDEES, "t.issued_at, t.id", after, limit, params)
        async with self._pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(sql, params)
            found = await cur.fetchall()
        return [Attendee(*row.values()) for row in found]
