"""The waiting room's side of the benchmark that is not load: the worker's door turned in this
process on the same PostgreSQL and Redis (timed turn by turn), the outflow read back from
PostgreSQL's record, the admitted identities' passes fetched as their apps fetch them, and the SQL
checks of the run."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import grpc
import psycopg
from apextick.waitingroom.v1 import waiting_room_service_pb2 as wr
from apextick.waitingroom.v1 import waiting_room_service_pb2_grpc as wr_grpc

from booking import bootstrap
from booking.service_layer.waiting_room_use_cases import WAITING_FRESH
from booking.settings import BookingSettings

PASS_FETCHERS = 64  # streams open at once while the admitted fetch their passes


@dataclass
class Turns:
    """Every door turn's wall time (ms) and how many it admitted; the first turn is the open."""

    ms: list[float] = field(default_factory=list)
    admitted: list[int] = field(default_factory=list)


async def turn_door(seconds: float, interval: float = 1.0) -> Turns:
    """The worker's loop (a turn, then a pause of `interval`) for `seconds`, each turn timed."""
    container = bootstrap.build(BookingSettings.from_env())
    await container.open()
    turns = Turns()
    try:
        rooms = container.waiting_room
        assert rooms is not None  # the composition builds it whenever PostgreSQL and Redis are set
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            began = time.perf_counter()
            turns.admitted.append(await rooms.door())
            turns.ms.append(1000 * (time.perf_counter() - began))
            await asyncio.sleep(interval)
    finally:
        await container.close()
    return turns


def batches(database_url: str, event: str) -> list[tuple[datetime, int]]:
    with psycopg.connect(database_url) as conn:
        return list(conn.execute(
            "SELECT admitted_at, count(*) FROM queue_entry WHERE event_id = %s AND admitted_at IS NOT NULL"
            " GROUP BY 1 ORDER BY 1", (_id(event),),
        ))  # fmt: skip


def outflow_per_minute(rows: Sequence[tuple[datetime, int]]) -> float:
    """Admissions per minute from the first batch to the last; the first batch (the bucket's start)
    is not counted against the span, as in the e2e test."""
    if len(rows) < 2:  # noqa: PLR2004 - a span needs two batches
        return 0.0
    span = (rows[-1][0] - rows[0][0]).total_seconds()
    return sum(count for _, count in rows[1:]) / span * 60


def subject_of(token: str) -> str:
    """The `sub` of a token this run minted (read, not verified: the server verifies it)."""
    payload = token.split(".")[1]
    return str(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"])


def admitted_subjects(database_url: str, event: str) -> set[str]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT subject FROM queue_entry WHERE event_id = %s AND admitted_at IS NOT NULL", (_id(event),)
        )
        return {row[0] for row in rows}


async def fetch_passes(target: str, event: str, tokens: Sequence[str]) -> list[str]:
    """Each token's pass from its own position stream's first reading, as the web app reads it."""
    gate = asyncio.Semaphore(PASS_FETCHERS)
    async with grpc.aio.insecure_channel(target) as channel:
        rooms = wr_grpc.WaitingRoomServiceStub(channel)

        async def one(token: str) -> str:
            async with gate:
                stream = rooms.WatchQueuePosition(
                    wr.WatchQueuePositionRequest(event=event),
                    metadata=(("authorization", f"Bearer {token}"),),
                )
                try:
                    async for reading in stream:
                        if reading.queue_pass:
                            return str(reading.queue_pass)
                finally:
                    stream.cancel()
            raise RuntimeError("an admitted identity's stream ended without its pass")

        return list(await asyncio.gather(*(one(token) for token in tokens)))


def room_record(database_url: str, event: str) -> dict[str, Any]:
    """What PostgreSQL holds for the queued event after the run: entries per identity, admissions,
    passes issued and those that took a hold, and the event's holds."""
    event_id = _id(event)
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            """
            SELECT (SELECT count(*) FROM queue_entry WHERE event_id = %(e)s),
                   (SELECT count(DISTINCT subject) FROM queue_entry WHERE event_id = %(e)s),
                   (SELECT count(*) FROM queue_entry WHERE event_id = %(e)s AND admitted_at IS NOT NULL),
                   (SELECT count(*) FROM queue_pass WHERE event_id = %(e)s),
                   (SELECT count(*) FROM queue_pass WHERE event_id = %(e)s AND hold_id IS NOT NULL),
                   (SELECT count(*) FROM hold WHERE event_id = %(e)s),
                   (SELECT count(*) FROM hold h WHERE h.event_id = %(e)s AND NOT EXISTS
                       (SELECT 1 FROM queue_pass q WHERE q.hold_id = h.id))
            """,
            {"e": event_id},
        ).fetchone()
    assert row is not None  # scalar subqueries: always one row
    keys = ("entries", "identities", "admitted", "passes", "passes_with_hold", "holds",
            "holds_without_pass")  # fmt: skip
    return dict(zip(keys, (int(value or 0) for value in row), strict=True))


async def published_passes_used(target: str, event: str) -> int:
    """The organizer's figure, as GetQueue publishes it once its count is fresh."""
    await asyncio.sleep(WAITING_FRESH.total_seconds())
    async with grpc.aio.insecure_channel(target) as channel:
        answer = await wr_grpc.WaitingRoomServiceStub(channel).GetQueue(wr.GetQueueRequest(event=event))
    return int(answer.queue.passes_used)


def _id(event: str) -> UUID:
    return UUID(event.removeprefix("events/"))
