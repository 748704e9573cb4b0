"""The benchmark's events: created fresh for every sale (so no run sees another's seats) and cancelled
once the run has checked them, so a browsed catalogue does not fill with benchmark events."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from types import TracebackType

import grpc
import psycopg
from apextick_client import bench

# A 50,000-seat map (the limit) comes back in one CreateSeatMap reply of several megabytes.
CHANNEL_OPTIONS = (("grpc.max_receive_message_length", 64 * 1024 * 1024),)


class Events:
    def __init__(self, target: str, organizer: str, database_url: str) -> None:
        self._target = target
        self._organizer = organizer
        self._database_url = database_url
        self._created: list[str] = []

    def __enter__(self) -> Events:
        return self

    def create(self, seats: int, sale_opens_in: timedelta = timedelta(minutes=-1)) -> tuple[str, list[str]]:
        """A fresh event of `seats` seats, on sale now (or from `sale_opens_in` on)."""

        async def create() -> tuple[str, list[str]]:
            async with grpc.aio.insecure_channel(self._target, options=CHANNEL_OPTIONS) as channel:
                return await bench.create_event(channel, self._organizer, seats, sale_opens_in)

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
    """What PostgreSQL says about an event after a sale: the SDK's own checks (seats HELD, seats in two
    live holds, live holds missing a seat; the generator returns no hold names, so none is looked up)
    and the number of live holds."""
    checked = bench.check_in_sql(database_url, event, [])
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM hold WHERE event_id = %s AND status = 'ACTIVE'", (event.split("/")[1],)
        ).fetchone()
    assert row is not None  # an aggregate always returns a row
    return {
        "seats_held": checked["seats_held_in_db"],
        "seats_held_twice": checked["seats_held_twice"],
        "partial_holds": checked["partial_holds"],
        "active_holds": int(row[0]),
    }
