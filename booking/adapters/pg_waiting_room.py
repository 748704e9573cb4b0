"""The waiting room's record in PostgreSQL (raw psycopg 3). Every change to a room's line runs under
the room's row lock (joins after the open, the open itself, admissions, sending an expired pass's
holder to the back), so positions are handed out once each and no two workers admit from one bucket
at once. Joins before the open share the lock (they take no position), so they run side by side."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from booking.domain.waiting_room import Bucket, QueuePass, QueueSettings
from booking.service_layer.waiting_room_ports import Entry, Joined, Order, Room, Standing

CONFIGURE = """
INSERT INTO waiting_room AS w (event_id, enabled, admissions_per_minute, pass_lifetime_seconds, seed,
                               commitment, opens_at, committed_at)
VALUES (%(event)s, %(enabled)s, %(rate)s, %(lifetime)s, %(seed)s, %(commitment)s, %(opens)s, %(now)s)
ON CONFLICT (event_id) DO UPDATE SET
    enabled = EXCLUDED.enabled, admissions_per_minute = EXCLUDED.admissions_per_minute,
    pass_lifetime_seconds = EXCLUDED.pass_lifetime_seconds,
    -- the commitment stays as published unless the opening time moved (it is bound to that time)
    seed = CASE WHEN w.opens_at = EXCLUDED.opens_at THEN w.seed ELSE EXCLUDED.seed END,
    commitment = CASE WHEN w.opens_at = EXCLUDED.opens_at THEN w.commitment ELSE EXCLUDED.commitment END,
    committed_at = CASE WHEN w.opens_at = EXCLUDED.opens_at
                        THEN w.committed_at ELSE EXCLUDED.committed_at END,
    opens_at = EXCLUDED.opens_at
WHERE w.opened_at IS NULL
RETURNING event_id
"""
ROOM = """
SELECT w.*, e.organizer, e.sale_ends_at,
       (SELECT count(*) FROM queue_entry q
        WHERE q.event_id = w.event_id AND q.admitted_at IS NULL AND q.left_at IS NULL) AS waiting
FROM waiting_room w JOIN event e ON e.id = w.event_id WHERE w.event_id = %s
"""
ROOM_SHARED = "SELECT opened_at FROM waiting_room WHERE event_id = %s FOR SHARE"
ROOM_EXCLUSIVE = "SELECT opened_at FROM waiting_room WHERE event_id = %s FOR UPDATE"
ENTRY = "SELECT * FROM queue_entry WHERE event_id = %s AND subject = %s"
NEWEST_ADMISSION = """
SELECT * FROM queue_pass WHERE event_id = %s AND subject = %s ORDER BY issued_at DESC LIMIT 1
"""
# A first join inserts; of concurrent first joins by one identity exactly one row lands (the others
# find it and answer "already"). A rejoin (after leaving, or a used or lapsed pass) moves the row.
FIRST_PLACE = """
INSERT INTO queue_entry (event_id, subject, pseudonym, request_id, pre_queue, joined_at, position)
VALUES (%(event)s, %(subject)s, %(pseudonym)s, %(request_id)s, %(pre)s, %(now)s, %(position)s)
ON CONFLICT (event_id, subject) DO NOTHING
RETURNING *
"""
PLACE_AGAIN = """
UPDATE queue_entry SET request_id = %(request_id)s, pre_queue = %(pre)s, joined_at = %(now)s,
    position = %(position)s, admitted_at = NULL, left_at = NULL
WHERE event_id = %(event)s AND subject = %(subject)s
RETURNING *
"""
NEXT_POSITION = """
UPDATE waiting_room SET next_position = next_position + 1 WHERE event_id = %s RETURNING next_position
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
EXPIRED = """
UPDATE queue_pass SET requeued_at = %(now)s
WHERE pass_id IN (SELECT pass_id FROM queue_pass
                  WHERE hold_id IS NULL AND requeued_at IS NULL AND expires_at <= %(now)s
                  ORDER BY expires_at LIMIT %(limit)s FOR UPDATE SKIP LOCKED)
RETURNING event_id, subject
"""


def _entry(row: dict[str, Any]) -> Entry:
    return Entry(
        row["subject"], row["pseudonym"], row["request_id"], row["pre_queue"], row["joined_at"],
        row["position"], row["admitted_at"], row["left_at"],
    )  # fmt: skip


def _pass(row: dict[str, Any]) -> QueuePass:
    return QueuePass(row["pass_id"], row["event_id"], row["subject"], row["expires_at"])


def _room(row: dict[str, Any]) -> Room:
    settings = QueueSettings(
        row["enabled"], row["admissions_per_minute"], timedelta(seconds=row["pass_lifetime_seconds"])
    )
    return Room(
        row["event_id"], row["organizer"], settings, row["commitment"], row["opens_at"], row["sale_ends_at"],
        row["opened_at"], bytes(row["seed"]), row["pre_queue_size"], row["admitted"], row["passes_used"],
        row["waiting"],
    )  # fmt: skip


class PgWaitingRooms:
    def __init__(self, pool: AsyncConnectionPool[AsyncConnection[Any]]) -> None:
        self._pool = pool

    async def event_terms(self, event_id: UUID) -> tuple[str, datetime, datetime] | None:
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "SELECT organizer, sale_starts_at, sale_ends_at FROM event WHERE id = %s", (event_id,)
            )
            row = await cur.fetchone()
        return (str(row[0]), row[1], row[2]) if row else None

    async def configure(
        self, event_id: UUID, settings: QueueSettings, seed: bytes, commitment: str, opens_at: datetime,
        now: datetime,
    ) -> bool:  # fmt: skip
        params = {
            "event": event_id, "enabled": settings.enabled, "rate": settings.admissions_per_minute,
            "lifetime": int(settings.pass_lifetime.total_seconds()), "seed": seed, "commitment": commitment,
            "opens": opens_at, "now": now,
        }  # fmt: skip
        async with self._pool.connection() as conn:
            return await (await conn.execute(CONFIGURE, params)).fetchone() is not None

    async def room(self, event_id: UUID) -> Room | None:
        async with self._pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            row = await (await cur.execute(ROOM, (event_id,))).fetchone()
        return _room(row) if row else None

    async def join(
        self, event_id: UUID, subject: str, pseudonym: str, request_id: str, now: datetime
    ) -> Joined:
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "SELECT opened_at IS NOT NULL FROM waiting_room WHERE event_id = %s", (event_id,)
            )
            row = await cur.fetchone()
            if row is None:
                raise LookupError(event_id)
            # Before the open a join takes no position: joins share the room's lock. After it each
            # takes the next position: one at a time. A join that saw the pre-queue but finds the room
            # opened once locked starts again with the exclusive lock (upgrading could deadlock).
            for exclusive in (bool(row[0]), True):
                joined = await self._join_in(
                    conn, event_id, subject, pseudonym, request_id, now, exclusive=exclusive
                )
                if joined is not None:
                    return joined
            raise RuntimeError("a queue that opened twice")

    async def _join_in(
        self, conn: AsyncConnection[Any], event_id: UUID, subject: str, pseudonym: str, request_id: str,
        now: datetime, *, exclusive: bool,
    ) -> Joined | None:  # fmt: skip
        async with conn.transaction():
            cur = conn.cursor(row_factory=dict_row)
            locked = ROOM_EXCLUSIVE if exclusive else ROOM_SHARED
            room = await (await cur.execute(locked, (event_id,))).fetchone()
            opened_at = room["opened_at"] if room else None
            if opened_at is not None and not exclusive:
                return None
            current = await (await cur.execute(ENTRY + " FOR UPDATE", (event_id, subject))).fetchone()
            if current is not None:
                kept = await self._kept(cur, event_id, current, request_id, now)
                if kept is not None:
                    return kept
            placed = await self._place(conn, cur, event_id, subject, pseudonym, request_id, now, opened_at,
                                       again=current is not None)  # fmt: skip
            if placed is not None:
                return placed
            # Another first join by this identity landed meanwhile: that place is theirs.
            raced = await (await cur.execute(ENTRY + " FOR UPDATE", (event_id, subject))).fetchone()
            if raced is None:
                raise RuntimeError("a queue entry that conflicted and vanished")
            return await self._kept(cur, event_id, raced, request_id, now) or Joined(_entry(raced), "already")

    async def _kept(
        self, cur: Any, event_id: UUID, current: dict[str, Any], request_id: str, now: datetime
    ) -> Joined | None:
        """The existing place when the identity keeps it (a retry, still waiting, or admitted with a
        pass it can still use); None when it goes to the back."""
        entry = _entry(current)
        if entry.request_id == request_id:
            return Joined(entry, "same")
        if entry.left_at is not None:
            return None
        if entry.admitted_at is None:
            return Joined(entry, "already")
        newest = await (await cur.execute(NEWEST_ADMISSION, (event_id, entry.subject))).fetchone()
        live = newest is not None and newest["hold_id"] is None and newest["requeued_at"] is None
        return Joined(entry, "already") if live and newest["expires_at"] > now else None

    async def _place(
        self, conn: AsyncConnection[Any], cur: Any, event_id: UUID, subject: str, pseudonym: str,
        request_id: str, now: datetime, opened_at: datetime | None, *, again: bool,
    ) -> Joined | None:  # fmt: skip
        position = None
        if opened_at is not None:  # after the open: the back of the line (the room is locked)
            position = (await (await conn.execute(NEXT_POSITION, (event_id,))).fetchone() or [0])[0]
        params = {
            "event": event_id, "subject": subject, "pseudonym": pseudonym, "request_id": request_id,
            "pre": opened_at is None, "now": now, "position": position,
        }  # fmt: skip
        row = await (await cur.execute(PLACE_AGAIN if again else FIRST_PLACE, params)).fetchone()
        return Joined(_entry(row), "created") if row else None

    async def leave(self, event_id: UUID, subject: str, now: datetime) -> Entry | None:
        async with self._pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            row = await (
                await cur.execute(
                    "UPDATE queue_entry SET left_at = %s"
                    " WHERE event_id = %s AND subject = %s AND left_at IS NULL"
                    " RETURNING *",
                    (now, event_id, subject),
                )
            ).fetchone()
        return _entry(row) if row else None

    async def standing(self, event_id: UUID, subject: str) -> Standing:
        async with self._pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            entry = await (await cur.execute(ENTRY, (event_id, subject))).fetchone()
            newest = await (await cur.execute(NEWEST_ADMISSION, (event_id, subject))).fetchone()
        if newest is None or newest["requeued_at"] is not None:
            return Standing(_entry(entry) if entry else None, None, pass_used=False)
        return Standing(
            _entry(entry) if entry else None, _pass(newest), pass_used=newest["hold_id"] is not None
        )

    async def ahead(self, event_id: UUID, position: int) -> int:
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "SELECT count(*) FROM queue_entry WHERE event_id = %s AND position < %s"
                " AND admitted_at IS NULL AND left_at IS NULL",
                (event_id, position),
            )
            return int((await cur.fetchone() or [0])[0])

    async def open_due(self, now: datetime, order: Order) -> Sequence[UUID]:
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "SELECT event_id FROM waiting_room WHERE enabled AND opened_at IS NULL AND opens_at <= %s",
                (now,),
            )
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

    async def requeue_expired(self, now: datetime, limit: int) -> Sequence[tuple[UUID, str, int]]:
        moved = []
        async with self._pool.connection() as conn, conn.transaction():
            expired = await (await conn.execute(EXPIRED, {"now": now, "limit": limit})).fetchall()
            for event_id, subject in sorted(expired):  # rooms locked in one order: no deadlock
                await conn.execute("SELECT 1 FROM waiting_room WHERE event_id = %s FOR UPDATE", (event_id,))
                position = (await (await conn.execute(NEXT_POSITION, (event_id,))).fetchone() or [0])[0]
                cur = await conn.execute(
                    "UPDATE queue_entry SET admitted_at = NULL, position = %s"
                    " WHERE event_id = %s AND subject = %s AND left_at IS NULL RETURNING 1",
                    (position, event_id, subject),
                )
                if await cur.fetchone():
                    moved.append((event_id, subject, int(position)))
        return moved

    async def line(self, event_id: UUID) -> Sequence[tuple[str, int]]:
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "SELECT subject, position FROM queue_entry WHERE event_id = %s AND position IS NOT NULL"
                " AND admitted_at IS NULL AND left_at IS NULL ORDER BY position",
                (event_id,),
            )
            return [(str(subject), int(position)) for subject, position in await cur.fetchall()]

    async def open_rooms(self) -> Sequence[UUID]:
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "SELECT event_id FROM waiting_room WHERE enabled AND opened_at IS NOT NULL"
            )
            return [row[0] for row in await cur.fetchall()]

    async def pre_queue(self, event_id: UUID, after: str, limit: int) -> Sequence[tuple[str, int]]:
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "SELECT pseudonym, shuffle_rank FROM queue_entry"
                " WHERE event_id = %s AND shuffle_rank IS NOT NULL"
                " AND pseudonym > %s ORDER BY pseudonym LIMIT %s",
                (event_id, after, limit),
            )
            return [(str(p), int(rank)) for p, rank in await cur.fetchall()]
