"""The waiting room's record in PostgreSQL (raw psycopg 3). Every change to a room's line runs under
the room's row lock (joins after the open, the open itself, admissions, sending an expired pass's
holder to the back), so positions are handed out once each and no two workers admit from one bucket
at once. Joins before the open share the lock (they take no position), so they run side by side."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from booking.adapters.pg_queue_door import NEXT_POSITION, PgQueueDoor
from booking.domain.waiting_room import QueuePass, QueueSettings
from booking.service_layer.waiting_room_ports import Entry, Figures, Joined, Room, Standing

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
SELECT w.*, e.organizer, e.sale_ends_at
FROM waiting_room w JOIN event e ON e.id = w.event_id WHERE w.event_id = %s
"""
FIGURES = """
SELECT (SELECT count(*) FROM queue_entry
        WHERE event_id = %(event)s AND admitted_at IS NULL AND left_at IS NULL),
       (SELECT count(*) FROM queue_pass WHERE event_id = %(event)s AND hold_id IS NOT NULL)
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
# The common join, a first one before the open, in one statement: the room's shared lock (held to the
# statement's end; the open takes it exclusively, so it waits for this insert or this insert waits and
# then sees the room opened and inserts nothing) and the entry. Anything else (a retry, a rejoin, a
# second tab, a join after the open) inserts nothing here and takes the general path.
FIRST_PRE_QUEUE_PLACE = """
WITH room AS (SELECT 1 FROM waiting_room WHERE event_id = %(event)s AND opened_at IS NULL FOR SHARE)
INSERT INTO queue_entry (event_id, subject, pseudonym, request_id, pre_queue, joined_at)
SELECT %(event)s, %(subject)s, %(pseudonym)s, %(request_id)s, true, %(now)s FROM room
ON CONFLICT (event_id, subject) DO NOTHING
RETURNING *
"""
PLACE_AGAIN = """
UPDATE queue_entry SET request_id = %(request_id)s, pre_queue = %(pre)s, joined_at = %(now)s,
    position = %(position)s, admitted_at = NULL, left_at = NULL
WHERE event_id = %(event)s AND subject = %(subject)s
RETURNING *
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
        row["opened_at"], bytes(row["seed"]), row["pre_queue_size"], row["admitted"],
    )  # fmt: skip


class PgWaitingRooms(PgQueueDoor):
    """The record: rooms, joins and leaves, standings, the published entries (and the door's side)."""

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

    async def figures(self, event_id: UUID) -> Figures:
        async with self._pool.connection() as conn:
            row = await (await conn.execute(FIGURES, {"event": event_id})).fetchone()
        waiting, used = row if row is not None else (0, 0)  # scalar subqueries: always one row
        return Figures(int(waiting), int(used))

    async def join(
        self, event_id: UUID, subject: str, pseudonym: str, request_id: str, now: datetime
    ) -> Joined:
        async with self._pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            params = {
                "event": event_id, "subject": subject, "pseudonym": pseudonym, "request_id": request_id,
                "now": now,
            }  # fmt: skip
            first = await (await cur.execute(FIRST_PRE_QUEUE_PLACE, params)).fetchone()
            if first is not None:
                return Joined(_entry(first), "created")
            row = await (
                await conn.execute(
                    "SELECT opened_at IS NOT NULL FROM waiting_room WHERE event_id = %s", (event_id,)
                )
            ).fetchone()
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

    async def pre_queue(self, event_id: UUID, after: str, limit: int) -> Sequence[tuple[str, int]]:
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "SELECT pseudonym, shuffle_rank FROM queue_entry"
                " WHERE event_id = %s AND shuffle_rank IS NOT NULL"
                " AND pseudonym > %s ORDER BY pseudonym LIMIT %s",
                (event_id, after, limit),
            )
            return [(str(p), int(rank)) for p, rank in await cur.fetchall()]
