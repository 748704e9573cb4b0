"""The booking process's one composition root: every engine, pool, client and handler is built
here from settings, and nothing is created at import time."""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from apextick_platform.jwks_verifier import JwksTokenVerifier, TokenPolicy
from apextick_platform.tokens import TokenVerifier
from booking.adapters.payments.factory import build_gateways
from booking.adapters.pg_claims import PgSeatClaims
from booking.adapters.pg_orders import PgOrders
from booking.adapters.redis_seats import RedisSeatCache, RedisSeatSignals, SeatChangeHub, TakenSeatsView
from booking.adapters.ticket_codes import TicketSigner, load_private_key
from booking.adapters.unit_of_work import SqlUnitOfWork
from booking.domain.order import PaymentWindow
from booking.domain.payment import Provider
from booking.service_layer.event_use_cases import EventUseCases
from booking.service_layer.hold_use_cases import HoldUseCases
from booking.service_layer.order_use_cases import OrderUseCases
from booking.service_layer.payment_ports import PaymentGateway
from booking.service_layer.payment_use_cases import PaymentUseCases
from booking.service_layer.venue_use_cases import VenueUseCases
from booking.settings import BookingSettings, OrderSettings

log = logging.getLogger(__name__)


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
    orders: OrderUseCases
    payments: PaymentUseCases
    seat_cache: RedisSeatCache
    clock: Callable[[], datetime]
    gateways: Mapping[Provider, PaymentGateway]

    async def open(self) -> None:
        await self.pool.open(wait=True)
        self.hub.start()

    async def close(self) -> None:
        await self.hub.stop()
        for gateway in self.gateways.values():
            close = getattr(gateway, "close", None)
            if close is not None:
                await close()
        await self.pool.close()
        await self.redis.aclose()
        await self.engine.dispose()


async def _configure_claim_connection(conn: AsyncConnection[Any]) -> None:
    # A claim waits at most this long for a row lock, then answers SEATS_BUSY instead of piling up.
    await conn.execute("SET lock_timeout = '3s'")


def ticket_signer(settings: OrderSettings) -> TicketSigner:
    secret = settings.ticket_signing_secret
    if not secret:  # from_env requires the secret, so only code-built settings (tests) get here
        log.warning("no ticket signing secret: signing tickets with an ephemeral key")
        secret = secrets.token_hex(32)
    return TicketSigner(load_private_key(secret))


def build(
    settings: BookingSettings,
    *,
    clock: Callable[[], datetime] = utc_now,
    verifier: TokenVerifier | None = None,
    gateways: Mapping[Provider, PaymentGateway] | None = None,
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
    signals = RedisSeatSignals(redis)  # one script registration, shared by holds, orders and payments
    holds = HoldUseCases(
        PgSeatClaims(pool, clock),
        signals,
        view,
        seat_cache,
        clock,
        uuid.uuid4,
        timedelta(seconds=settings.hold_ttl_seconds),
    )
    order_store = PgOrders(pool, clock, ticket_signer(settings.orders))
    providers = dict(gateways) if gateways is not None else dict(build_gateways(settings.payments))
    window = PaymentWindow(
        timedelta(seconds=settings.orders.payment_window_seconds),
        timedelta(seconds=settings.orders.payment_cap_seconds),
    )
    orders = OrderUseCases(
        order_store, providers, signals, window, clock, uuid.uuid4, settings.orders.return_url
    )
    grace = timedelta(seconds=settings.orders.reconcile_grace_seconds)
    payments = PaymentUseCases(order_store, providers, signals, clock, grace)
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
        orders=orders,
        payments=payments,
        seat_cache=seat_cache,
        clock=clock,
        gateways=providers,
    )
