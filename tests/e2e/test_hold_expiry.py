"""The three expiry layers against real PostgreSQL and Redis: a listener on Redis expiry events, a
PostgreSQL sweeper, and claims that take over lapsed seats. No valid hold is released early, no
expired hold stays stuck, and a late release never frees a seat someone else holds now."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Awaitable
from typing import TYPE_CHECKING, Any

import psycopg
import pytest
from redis.asyncio import Redis

from apextick_platform.errors import DomainError, ErrorCode
from apextick_platform.identity import Principal, Role
from apextick_platform.settings import sqlalchemy_url
from booking import bootstrap
from booking.adapters.redis_seats import hold_key
from booking.bootstrap import Container
from booking.domain.hold import HoldStatus
from booking.entrypoints.workers import expiry_listener, expiry_sweeper
from booking.settings import BookingSettings
from tests.e2e.conftest import Identity
from tests.e2e.support import build_event

if TYPE_CHECKING:
    from apextick.catalog.v1 import catalog_service_pb2_grpc as catalog_grpc

TTL = 1.5


def customer() -> Principal:
    return Principal(f"cust-{uuid.uuid4().hex[:8]}", frozenset({Role.CUSTOMER}))


@pytest.fixture
async def short(database_url: str, redis_url: str) -> AsyncIterator[Container]:
    """The booking use cases with a short hold time, without the gRPC server."""
    settings = BookingSettings(
        database_url=sqlalchemy_url(database_url),
        redis_url=redis_url,
        hold_ttl_seconds=TTL,
        fast_reject=False,
        db_pool_size=4,
    )
    container = bootstrap.build(settings)
    await container.pool.open(wait=True)
    yield container
    await container.close()


@contextlib.asynccontextmanager
async def running(*jobs: Awaitable[None]) -> AsyncIterator[None]:
    tasks = [asyncio.ensure_future(job) for job in jobs]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def seat_row(database_url: str, event_id: uuid.UUID, seat: str) -> tuple[Any, ...]:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT status, hold_id FROM event_seat WHERE event_id = %s AND seat_id = %s", (event_id, seat)
        ).fetchone()
    assert row is not None
    return tuple(row)


async def wait_until_available(database_url: str, event_id: uuid.UUID, seat: str, limit: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if seat_row(database_url, event_id, seat)[0] == "AVAILABLE":
            return time.monotonic() - started
        await asyncio.sleep(0.05)
    raise AssertionError(f"{seat} still held after {limit} s")


async def new_event(catalog: catalog_grpc.CatalogServiceAsyncStub, identity: Identity) -> uuid.UUID:
    built = await build_event(catalog, identity.auth("organizer"), "Expiring", rows=1, per_row=4)
    return uuid.UUID(built.event.name.split("/")[1])


async def test_the_sweeper_alone_releases_lapsed_holds(
    catalog: Any, identity: Identity, short: Container, database_url: str
) -> None:
    event_id = await new_event(catalog, identity)
    hold = await short.holds.hold_seats(customer(), event_id, ["main-A-1"], str(uuid.uuid4()))
    async with running(expiry_sweeper(short.holds, interval=0.2)):  # no listener: as if it were dead
        await asyncio.sleep(TTL - 0.5)
        assert seat_row(database_url, event_id, "main-A-1")[0] == "HELD"  # not early
        await wait_until_available(database_url, event_id, "main-A-1", limit=3)
    expired = await short.holds.get_hold(Principal(hold.customer, frozenset({Role.CUSTOMER})), hold.id)
    assert expired.status is HoldStatus.EXPIRED


async def test_the_listener_releases_on_the_redis_expiry_event(
    catalog: Any, identity: Identity, short: Container, database_url: str
) -> None:
    event_id = await new_event(catalog, identity)
    ready = asyncio.Event()
    async with running(expiry_listener(short.redis, short.holds, ready)):  # no sweeper
        await asyncio.wait_for(ready.wait(), 5)
        hold = await short.holds.hold_seats(customer(), event_id, ["main-A-2"], str(uuid.uuid4()))
        await asyncio.sleep(TTL - 0.5)
        assert seat_row(database_url, event_id, "main-A-2")[0] == "HELD"  # not early
        # Redis sends `expired` when it deletes the key: on access, or when its sampling expiry
        # cycle finds it, which with many keys can take seconds (the sweeper's reason to exist).
        # Touching the key after its TTL makes the deletion, and so the event, happen now.
        deadline = time.monotonic() + TTL + 5
        while time.monotonic() < deadline and seat_row(database_url, event_id, "main-A-2")[0] == "HELD":
            await short.redis.exists(hold_key(hold.id))
            await asyncio.sleep(0.1)
    assert seat_row(database_url, event_id, "main-A-2")[0] == "AVAILABLE"
    held = await short.holds.get_hold(Principal(hold.customer, frozenset({Role.CUSTOMER})), hold.id)
    assert held.status is HoldStatus.EXPIRED


async def test_a_flush_releases_nothing_early_and_leaves_nothing_stuck(
    catalog: Any, identity: Identity, short: Container, database_url: str, redis_url: str
) -> None:
    event_id = await new_event(catalog, identity)
    await short.holds.hold_seats(customer(), event_id, ["main-A-3"], str(uuid.uuid4()))
    async with Redis.from_url(redis_url) as redis:
        await (
            redis.flushdb()
        )  # every TTL key gone (FLUSHALL, scoped to the tests' database): no expiry events
    async with running(expiry_listener(short.redis, short.holds), expiry_sweeper(short.holds, interval=0.2)):
        await asyncio.sleep(TTL - 0.5)
        assert seat_row(database_url, event_id, "main-A-3")[0] == "HELD"
        await wait_until_available(database_url, event_id, "main-A-3", limit=3)


async def test_duplicate_expiry_events_release_once(
    catalog: Any, identity: Identity, short: Container, database_url: str
) -> None:
    event_id = await new_event(catalog, identity)
    hold = await short.holds.hold_seats(customer(), event_id, ["main-A-4"], str(uuid.uuid4()))
    assert await short.holds.expire_hold(hold.id) is None  # an early event: PostgreSQL says not yet
    await asyncio.sleep(TTL + 0.1)
    results = await asyncio.gather(*(short.holds.expire_hold(hold.id) for _ in range(3)))
    assert sum(r is not None for r in results) == 1
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM outbox WHERE aggregate_id = %s AND type = %s",
            (str(hold.id), "apextick.events.v1.HoldExpired"),
        ).fetchone()
    assert row is not None
    assert row[0] == 1


async def test_a_late_release_never_frees_a_seat_held_again(
    catalog: Any, identity: Identity, short: Container, database_url: str
) -> None:
    event_id = await new_event(catalog, identity)
    first_owner = customer()
    first = await short.holds.hold_seats(first_owner, event_id, ["main-A-1", "main-A-2"], str(uuid.uuid4()))
    await asyncio.sleep(TTL + 0.1)  # lapsed in PostgreSQL, not yet swept

    second = await short.holds.hold_seats(customer(), event_id, ["main-A-2"], str(uuid.uuid4()))
    release = short.holds.release_hold(first_owner, first.id, str(uuid.uuid4()))
    outcomes = await asyncio.gather(
        release, short.holds.expire_hold(first.id), short.holds.sweep(), return_exceptions=True
    )
    if isinstance(outcomes[0], DomainError):
        assert outcomes[0].code is ErrorCode.HOLD_NOT_ACTIVE
    assert seat_row(database_url, event_id, "main-A-2") == ("HELD", second.id)
    assert seat_row(database_url, event_id, "main-A-1")[0] == "AVAILABLE"


async def test_claims_take_over_lapsed_seats(
    catalog: Any, identity: Identity, short: Container, database_url: str
) -> None:
    event_id = await new_event(catalog, identity)
    await short.holds.hold_seats(customer(), event_id, ["main-A-3"], str(uuid.uuid4()))
    with pytest.raises(DomainError) as taken:
        await short.holds.hold_seats(customer(), event_id, ["main-A-3"], str(uuid.uuid4()))
    assert taken.value.code is ErrorCode.SEAT_UNAVAILABLE
    await asyncio.sleep(TTL + 0.1)
    later = await short.holds.hold_seats(customer(), event_id, ["main-A-3"], str(uuid.uuid4()))
    assert seat_row(database_url, event_id, "main-A-3") == ("HELD", later.id)
