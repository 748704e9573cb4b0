"""The waiting room's door in PostgreSQL: the open (the pre-queue ordered under the room's lock), the
admissions (one bucket per room, under its lock, so no two workers admit from it at once), lapsed
passes sent to the back, and the line that Redis mirrors. PgWaitingRooms adds the callers' side."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from booking.domain.waiting_room import Bucket
from booking.service_layer.waiting_room_ports import Order

NEXT_POSITION = """
UPDATE waiting_room SET next_position = next_position + 1 WHERE event_id = %s RETURNING next_position
"""
# `n` places at the back of the line at once; the last of them (they end at next_position).
RESERVE_POSITIONS = """
UPDATE waiting_room SET next_position = next_position + %(n)s WHERE event_id = %(event)s
RETURNING next_position
"""
ADMIT_NEXT = """
SELECT subject FROM queue_entry
WHERE event_id = %(event)s AND admitted_at IS NULL AND left_at IS NULL AND position IS NOT NULL
ORDER BY position LIMIT %(limit)s FOR UPDATE
"""
ISSUE = """
INSERT INTO queue_pass (pass_id, event_id, subject, issued_at, expires_at)
SELECT unnest(%(ids)s::uuid[]), %(event)s, unnest(%(subjects)s::text[]), %(now)s, %(expires)s
"""
# One room's lapsed passes, first lapsed first (they rejoin the line in that order). Locks are taken
# pass, then room, then entry: the order the claim function takes pass and room in, so no deadlock.
EXPIRED = """
SELECT pass_id, subject FROM queue_pass
WHERE event_id = %(event)s AND hold_id IS NULL AND requeued_at IS NULL AND expires_at <= %(now)s
ORDER BY expires_at, subject LIMIT %(limit)s FOR UPDATE SKIP LOCKED
"""


# Rooms the door still turns: open, and their event still selling (a room whose sale ended, or whose
# event was cancelled, is done; turning it every second forever would make each turn slower than the
# last as rooms pile up).
DUE_ROOMS = """
SELECT w.event_id FROM waiting_room w JOIN event e ON e.id = w.event_id
WHERE w.enabled AND e.cancelled_at IS NULL AND e.sale_ends_at > %(now)s
  AND w.opened_at IS NULL AND w.opens_at <= %(now)s
"""
OPEN_ROOMS = """
SELECT w.event_id FROM waiting_room w JOIN event e ON e.id = w.event_id
WHERE w.enabled AND e.cancelled_at IS NULL AND e.sale_ends_at > %(now)s AND w.opened_at IS NOT NULL
"""


class PgQueueDoor:
    def __init__(self, pool: AsyncConnectionPool[AsyncConnection[Any]]) -> None:
        self._pool = pool

    async def open_due(self, now: datetime, order: Order) -> Sequence[UUID]:
        async with self._pool.connection() as conn:
            cur = await conn.execute(DUE_ROOMS, {"now": now})
            due = [row[0] for row in await cur.fetchall()]
        return [event_id for event_id in due if await self._open(event_id, now, order)]

    async def _open(self, event_id: UUID, now: datetime, order: Order) -> bool:
        """Order one room's pre-queue and open it, under its lock; False if another worker did."""
        async with self._pool.connection() as conn, conn.transaction():
            row = await (
                await conn.execute(
                    # Waits for joins in flight (they share the lock); later joins queue behind it.
                    "SELECT seed FROM waiting_room WHERE event_id = %s AND opened_at IS NULL FOR UPDATE",
                    (event_id,),
                )
            ).fetchone()
            if row is None:
                return False
            cur = await conn.execute(
                "SELECT pseudonym FROM queue_entry WHERE event_id = %s AND pre_queue AND left_at IS NULL",
                (event_id,),
            )
            ranked = order(bytes(row[0]), [r[0] for r in await cur.fetchall()])
            await conn.execute(
                "UPDATE queue_entry q SET position = o.rank, shuffle_rank = o.rank"
                " FROM unnest(%s::text[]) WITH ORDINALITY AS o(pseudonym, rank)"
                " WHERE q.event_id = %s AND q.pseudonym = o.pseudonym",
                (ranked, event_id),
            )
            await conn.execute(
                "UPDATE waiting_room SET opened_at = %(now)s, pre_queue_size = %(n)s, next_position = %(n)s,"
                " tokens = 0, refilled_at = %(now)s WHERE event_id = %(event)s",
                {"now": now, "n": len(ranked), "event": event_id},
            )
        return True

    async def admit(self, event_id: UUID, now: datetime, new_id: Callable[[], UUID]) -> Sequence[str]:
        async with self._pool.connection() as conn, conn.transaction():
            cur = conn.cursor(row_factory=dict_row)
            room = await (
                await cur.execute(
                    # Waits rather than skips: a skipped round would be admissions lost to the rate.
                    "SELECT * FROM waiting_room WHERE event_id = %s AND enabled AND opened_at IS NOT NULL"
                    " FOR UPDATE",
                    (event_id,),
                )
            ).fetchone()
            if room is None:
                return []
            bucket = Bucket(room["tokens"], room["refilled_at"]).refill(room["admissions_per_minute"], now)
            rows = await (
                await cur.execute(ADMIT_NEXT, {"event": event_id, "limit": math.floor(bucket.tokens)})
            ).fetchall()
            count, bucket = bucket.admit(len(rows))
            subjects = [row["subject"] for row in rows[:count]]
            if subjects:
                await self._issue(conn, event_id, subjects, now, room["pass_lifetime_seconds"], new_id)
            await conn.execute(
                "UPDATE waiting_room SET tokens = %s, refilled_at = %s, admitted = admitted + %s"
                " WHERE event_id = %s",
                (bucket.tokens, bucket.refilled_at, count, event_id),
            )
        return subjects

    async def _issue(
        self, conn: AsyncConnection[Any], event_id: UUID, subjects: list[str], now: datetime, lifetime: int,
        new_id: Callable[[], UUID],
    ) -> None:  # fmt: skip
        await conn.execute(
            "UPDATE queue_entry SET admitted_at = %s WHERE event_id = %s AND subject = ANY(%s)",
            (now, event_id, subjects),
        )
        params = {
            "ids": [new_id() for _ in subjects], "event": event_id, "subjects": subjects, "now": now,
            "expires": now + timedelta(seconds=lifetime),
        }  # fmt: skip
        await conn.execute(ISSUE, params)

    async def requeue_expired(self, event_id: UUID, now: datetime, limit: int) -> Sequence[tuple[str, int]]:
        async with self._pool.connection() as conn, conn.transaction():
            expired = await (
                await conn.execute(EXPIRED, {"event": event_id, "now": now, "limit": limit})
            ).fetchall()
            if not expired:
                return []
            await conn.execute(
                "UPDATE queue_pass SET requeued_at = %s WHERE pass_id = ANY(%s)",
                (now, [row[0] for row in expired]),
            )
            # The room's lock, and the back of the line reserved for all of them in one statement.
            last = await (
                await conn.execute(RESERVE_POSITIONS, {"event": event_id, "n": len(expired)})
            ).fetchone()
            first = (last[0] if last else 0) - len(expired) + 1
            subjects = [str(row[1]) for row in expired]
            cur = await conn.execute(
                "UPDATE queue_entry q SET admitted_at = NULL, position = b.position"
                " FROM unnest(%(subjects)s::text[], %(positions)s::bigint[]) AS b(subject, position)"
                " WHERE q.event_id = %(event)s AND q.subject = b.subject AND q.left_at IS NULL"
                " RETURNING q.subject, q.position",
                {"subjects": subjects, "positions": list(range(first, first + len(subjects))),
                 "event": event_id},
            )  # fmt: skip
            return sorted(((str(s), int(p)) for s, p in await cur.fetchall()), key=lambda m: m[1])

    async def line(self, event_id: UUID) -> Sequence[tuple[str, int]]:
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "SELECT subject, position FROM queue_entry WHERE event_id = %s AND position IS NOT NULL"
                " AND admitted_at IS NULL AND left_at IS NULL ORDER BY position",
                (event_id,),
            )
            return [(str(subject), int(position)) for subject, position in await cur.fetchall()]

    async def open_rooms(self, now: datetime) -> Sequence[UUID]:
        async with self._pool.connection() as conn:
            cur = await conn.execute(OPEN_ROOMS, {"now": now})
            return [row[0] for row in await cur.fetchall()]
