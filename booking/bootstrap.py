"""The booking process's one composition root: every engine, pool, client and handler is built
here from settings, and nothing is created at import time."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from booking.adapters.jwks_verifier import JwksTokenVerifier, TokenPolicy
from booking.adapters.pg_claims import PgSeatClaims
from booking.adapters.redis_seats import RedisHoldSignals, RedisSeatCache, SeatChangeHub, TakenSeatsView
from booking.adapters.unit_of_work import SqlUnitOfWork
from booking.service_layer.event_use_cases import EventUseCases
from booking.service_layer.hold_use_cases import HoldUseCases
from booking.service_layer.ports import TokenVerifier
from booking.service_layer.venue_use_cases import VenueUseCases
from booking.settings import BookingSettings


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Container:
    settings: BookingSettings
    engine: AsyncEngine
    pool: AsyncConnectionPool[AsyncConnection[Any]]
    redis: Redis
    hub: SeatChangeHub
    verifier: TokenVerifier
    venues: VenueUseCases
    events: EventUseCases
    holds: HoldUseCases
    seat_cache: RedisSeatCache
    clock: Callable[[], datetime]

    async def open(self) -> None:
        await self.pool.open(wait=True)
        self.hub.start()

    async def close(self) -> None:
        await self.hub.stop()
        await self.pool.close()
        await self.redis.aclose()
        await self.engine.dispose()


async def _configure_claim_connection(conn: AsyncConnection[Any]) -> None:
    # A claim waits at most this long for a row lock, then answers SEATS_BUSY instead of piling up.
    await conn.execute("SET lock_timeout = '3s'")


def build(
    settings: BookingSettings,
    *,
    clock: Callable[[], datetime] = utc_now,
    verifier: TokenVerifier | None = None,
) -> Container:
    engine = create_async_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        pool_pre_ping=True,
    )
    sessions = async_sessionmaker(engine, expire_on_commit=False)

    def unit_of_work() -> SqlUnitOfWork:
        return SqlUnitOfWork(sessions, clock, uuid.uuid4)

    token_verifier = verifier or JwksTokenVerifier(
        TokenPolicy(issuer=settings.oidc_issuer, audience=settings.oidc_audience, jwks_url=settings.jwks_url)
    )
    pool: AsyncConnectionPool[AsyncConnection[Any]] = AsyncConnectionPool(
        settings.libpq_url,
        min_size=settings.db_pool_size,
        max_size=settings.db_pool_size,
        kwargs={"autocommit": True},
        configure=_configure_claim_connection,
        open=False,
    )
    redis = Redis.from_url(settings.redis_url)
    view = TakenSeatsView() if settings.fast_reject else None
    seat_cache = RedisSeatCache(redis)
    holds = HoldUseCases(
        PgSeatClaims(pool, clock),
        RedisHoldSignals(redis),
        view,
        seat_cache,
        clock,
        uuid.uuid4,
        timedelta(seconds=settings.hold_ttl_seconds),
    )
    return Container(
        settings=settings,
        engine=engine,
        pool=pool,
        redis=redis,
        hub=SeatChangeHub(redis, view),
        verifier=token_verifier,
        venues=VenueUseCases(unit_of_work, clock, uuid.uuid4),
        events=EventUseCases(unit_of_work, clock, uuid.uuid4, statuses=holds),
        holds=holds,
        seat_cache=seat_cache,
        clock=clock,
    )
