"""An event's seats as the best-available ranking sees them: section order, row order (front first, by
the seat map's own ordinals), seat number, price tier."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from booking.domain.best_available import Place

LAYOUT = """
WITH map AS (SELECT seat_map_id FROM event WHERE id = %(event)s),
row_order AS (
    SELECT s.section_id, s.row_label,
           dense_rank() OVER (PARTITION BY s.section_id ORDER BY min(s.ordinal)) AS row_rank
    FROM seat s JOIN map ON map.seat_map_id = s.seat_map_id
    GROUP BY s.section_id, s.row_label
)
SELECT es.seat_id, s.section_id, sec.ordinal, s.row_label, r.row_rank, s.number, es.tier_id
FROM event_seat es
JOIN map ON true
JOIN seat s ON s.seat_map_id = map.seat_map_id AND s.seat_id = es.seat_id
JOIN seat_map_section sec ON sec.seat_map_id = s.seat_map_id AND sec.section_id = s.section_id
JOIN row_order r ON r.section_id = s.section_id AND r.row_label = s.row_label
WHERE es.event_id = %(event)s
"""


# One primary-key lookup per seat (as the claim function reads seats), never `seat_id = ANY(...)`: on an
# event created minutes ago, without statistics, that filtered every seat row of the event, on every
# lost claim (measured: PostgreSQL's CPU per attempt went from 155 to 714 us in `make capacity`).
AVAILABLE = """
SELECT w.seat_id FROM unnest(%(seats)s::text[]) AS w(seat_id),
LATERAL (SELECT es.status FROM event_seat es
         WHERE es.event_id = %(event)s AND es.seat_id = w.seat_id LIMIT 1) AS found
WHERE found.status = 'AVAILABLE'
"""


class PgSeatLayouts:
    def __init__(self, pool: AsyncConnectionPool[AsyncConnection[Any]]) -> None:
        self._pool = pool

    async def places(self, event_id: UUID) -> Sequence[Place]:
        async with self._pool.connection() as conn:
            cur = await conn.execute(LAYOUT, {"event": event_id})
            return [Place(*row) for row in await cur.fetchall()]

    async def available(self, event_id: UUID, seat_ids: Sequence[str]) -> set[str]:
        async with self._pool.connection() as conn:
            cur = await conn.execute(AVAILABLE, {"event": event_id, "seats": list(seat_ids)})
            return {row[0] for row in await cur.fetchall()}
