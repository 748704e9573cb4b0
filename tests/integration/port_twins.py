"""Both implementations of booking's ports behind one face, for the conformance tests: the in-memory
fakes of the unit tests and the real adapters on PostgreSQL and Redis, each in a container from the
real composition root, with a way to read the outbox rows an aggregate wrote."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

import psycopg

from apextick_platform.settings import sqlalchemy_url
from booking import bootstrap
from booking.adapters.event_codec import encode, metadata
from booking.bootstrap import Container, Ports
from booking.domain.payment import Provider
from booking.settings import BookingSettings, OrderSettings
from tests.fakes.world import Clock, FakeGateway, fake_world
from tests.unit.fake_container import SETTINGS

EventsOf = Callable[[UUID], Awaitable[list[str]]]


@dataclass
class Twin:
    name: str
    container: Container
    clock: Clock
    gateway: FakeGateway
    events_of: EventsOf  # short type names of the outbox rows of one aggregate, sorted

    @property
    def ports(self) -> Ports:
        return self.container.ports


@asynccontextmanager
async def memory_twin() -> AsyncIterator[Twin]:
    world = fake_world(Clock(datetime.now(UTC).replace(microsecond=0)))
    container = bootstrap.build(SETTINGS, clock=world.clock, ports=world.ports)

    async def events_of(aggregate_id: UUID) -> list[str]:
        names = []
        for entry in world.database.tables.outbox:
            encoded = encode(
                entry.event, metadata(aggregate_id, world.clock(), entry.actor, entry.request_id)
            )
            if encoded.aggregate_id == str(aggregate_id):
                names.append(encoded.message.DESCRIPTOR.name)
        return sorted(names)

    yield Twin("memory", container, world.clock, world.gateway, events_of)


@asynccontextmanager
async def postgres_twin(database_url: str, redis_url: str) -> AsyncIterator[Twin]:
    clock = Clock(datetime.now(UTC).replace(microsecond=0))  # near real time: Redis TTLs follow it
    settings = BookingSettings(
        database_url=sqlalchemy_url(database_url),
        redis_url=redis_url,
        db_pool_size=2,
        hold_ttl_seconds=SETTINGS.hold_ttl_seconds,
        orders=OrderSettings(ticket_signing_secret=secrets.token_hex(32), payment_window_seconds=900),
    )
    gateway = FakeGateway()
    container = bootstrap.build(settings, clock=clock, gateways={Provider.STRIPE: gateway})
    await container.open()

    async def events_of(aggregate_id: UUID) -> list[str]:
        async with await psycopg.AsyncConnection.connect(database_url) as conn:
            rows = await (
                await conn.execute("SELECT type FROM outbox WHERE aggregate_id = %s", (str(aggregate_id),))
            ).fetchall()
        return sorted(str(row[0]).rsplit(".", 1)[-1] for row in rows)

    try:
        yield Twin("postgres", container, clock, gateway, events_of)
    finally:
        await container.close()
