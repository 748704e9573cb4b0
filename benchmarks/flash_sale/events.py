"""The benchmark's events: created fresh for every sale (so no run sees another's seats) and cancelled
once the run has checked them, so a browsed catalogue does not fill with benchmark events."""

from __future__ import annotations

import asyncio
from types import TracebackType

import grpc
import psycopg
from apextick_client import bench

# A 100,000-seat seat map comes back in one CreateSeatMap reply of several megabytes.
CHANNEL_OPTIONS = (("grpc.max_receive_message_length", 64 * 1024 * 1024),)


class Events:
    def __init__(self, target: str, organizer: str, database_url: str) -> None:
        self._target = target
        self._organizer = organizer
        self._database_url = database_url
        self._created: list[str] = []

    def __enter__(self) -> Events:
        return self

    def create(self, seats: int) -> tuple[str, list[str]]:
        async def create() -> tuple[str, list[str]]:
            async with grpc.aio.insecure_channel(self._target, options=CHANNEL_OPTIONS) as channel:
                return await bench.create_event(channel, self._organizer, seats)

        event, seat_ids = asyncio.run(create())
        self._created.append(event)
        return event, seat_ids

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        async def cancel_all() -> None:
            async with grpc.aio.insecure_channel(self._target, options=CHANNEL_OPTIONS) as channel:
                for event in self._created:
                    await bench.cancel_event(channel, self._organizer, event)

        asyncio.run(cancel_all())
        self._created.clear()


def held_seats(database_url: str, event: str) -> dict[str, int]:
    """What PostgreSQL says about an event after a sale: seats HELD, seats in two live holds, and live
    holds missing one of their seats."""
    event_id = event.split("/")[1]
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM event_seat WHERE event_id = %(e)s AND status = 'HELD'),"
            " (SELECT count(*) FROM (SELECT seat FROM hold, unnest(seat_ids) seat WHERE event_id = %(e)s"
            "   AND status = 'ACTIVE' GROUP BY seat HAVING count(*) > 1) t),"
            " (SELECT count(*) FROM hold h WHERE h.event_id = %(e)s AND h.status = 'ACTIVE' AND EXISTS ("
            "   SELECT 1 FROM unnest(h.seat_ids) s WHERE NOT EXISTS (SELECT 1 FROM event_seat x"
            "   WHERE x.event_id = h.event_id AND x.seat_id = s AND x.hold_id = h.id"
            "   AND x.status = 'HELD'))),"
            " (SELECT count(*) FROM hold WHERE event_id = %(e)s AND status = 'ACTIVE')",
            {"e": event_id},
        ).fetchone()
    assert row is not None
    return {"seats_held": row[0], "seats_held_twice": row[1], "partial_holds": row[2], "active_holds": row[3]}
