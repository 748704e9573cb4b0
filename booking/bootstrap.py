"""The booking process's one composition root: every engine, pool, client and handler is built
here from settings, and nothing is created at import time."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from booking.adapters.jwks_verifier import JwksTokenVerifier, TokenPolicy
from booking.adapters.unit_of_work import SqlUnitOfWork
from booking.service_layer.event_use_cases import EventUseCases
from booking.service_layer.ports import TokenVerifier
from booking.service_layer.venue_use_cases import VenueUseCases
from booking.settings import BookingSettings


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Container:
    settings: BookingSettings
    engine: AsyncEngine
    verifier: TokenVerifier
    venues: VenueUseCases
    events: EventUseCases
    clock: Callable[[], datetime]

    async def close(self) -> None:
        await self.engine.dispose()


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
    return Container(
        settings=settings,
        engine=engine,
        verifier=token_verifier,
        venues=VenueUseCases(unit_of_work, clock, uuid.uuid4),
        events=EventUseCases(unit_of_work, clock, uuid.uuid4),
        clock=clock,
    )
