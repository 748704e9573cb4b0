"""The booking process's one composition root: every engine, pool, client and handler is built
here from settings, and nothing is created at import time.

`build(settings)` makes the real adapters (`adapters`) and assembles the use cases on them;
`build(settings, ports=...)` assembles the very same use cases on ports it is handed (in-memory fakes
in the unit tests), so the wiring under test is the wiring that runs."""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from prometheus_client import CollectorRegistry
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool
from redis.asyncio import BlockingConnectionPool, Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from apextick_platform.jwks_verifier import JwksTokenVerifier, TokenPolicy
from apextick_platform.metrics import new_registry
from apextick_platform.tokens import TokenVerifier
from booking.adapters.keycloak_users import KeycloakUsers
from booking.adapters.payments.counted import counted
from booking.adapters.payments.factory import build_gateways
from booking.adapters.pg_audit import PgAuditTrail
from booking.adapters.pg_claims import PgSeatClaims
from booking.adapters.pg_gates import PgGates
from booking.adapters.pg_ledger import PgPaymentLedger
from booking.adapters.pg_order_refunds import PgOrderRefunds
from booking.adapters.pg_orders import PgOrders
from booking.adapters.pg_refunds import PgRefunds
from booking.adapters.pg_sales import PgSales
from booking.adapters.pg_seat_layout import PgSeatLayouts
from booking.adapters.pg_tickets import PgTickets
from booking.adapters.pg_waiting_room import PgWaitingRooms
from booking.adapters.redis_queue_line import RedisQueueLine
from booking.adapters.redis_seats import RedisSeatCache, RedisSeatSignals, SeatChangeHub, TakenSeatsView
from booking.adapters.ticket_codes import TicketSigner, load_private_key, load_public_key
from booking.adapters.ticket_keys import TicketKeyRing
from booking.adapters.unit_of_work import SqlUnitOfWork
from booking.domain.order import PaymentWindow
from booking.domain.payment import Provider
from booking.service_layer.best_available_use_cases import BestAvailableUseCases, SeatLayouts
from booking.service_layer.event_use_cases import EventUseCases
from booking.service_layer.gate_ports import GateStore, TicketCodeReader
from booking.service_layer.gate_use_cases import GateUseCases
from booking.service_layer.hold_ports import SeatClaims, SeatSignals, SeatStatusCache, TakenSeats
from booking.service_layer.hold_use_cases import HoldUseCases, no_queue
from booking.service_layer.order_ports import OrderStore, TicketStore
from booking.service_layer.order_use_cases import OrderUseCases
from booking.service_layer.payment_ports import (
    AuditTrail,
    OrderRefunds,
    PaymentGateway,
    PaymentLedger,
    RefundStore,
)
from booking.service_layer.payment_use_cases import PaymentUseCases
from booking.service_layer.ports import Clock, IdFactory, UnitOfWorkFactory
from booking.service_layer.refund_use_cases import RefundUseCases
from booking.service_layer.sales_ports import SalesReport
from booking.service_layer.sales_use_cases import SalesUseCases
from booking.service_layer.user_admin_use_cases import UserAdminUseCases
from booking.service_layer.user_ports import UserDirectory
from booking.service_layer.venue_use_cases import VenueUseCases
from booking.service_layer.waiting_room_ports import QueueLine, WaitingRooms
from booking.service_layer.waiting_room_use_cases import WaitingRoomUseCases
from booking.settings import BookingSettings, OrderSettings

log = logging.getLogger(__name__)

REDIS_CONNECTIONS = 100
REDIS_WAIT_SECONDS = 5.0  # past it, the caller's own error path, as any Redis failure


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Ports:
    """Everything the use cases talk to. `adapters` builds the real ones; tests hand in fakes."""

    unit_of_work: UnitOfWorkFactory
    claims: SeatClaims
    signals: SeatSignals
    seat_cache: SeatStatusCache
    taken: TakenSeats | None  # None: no fast rejection (APEXTICK_FAST_REJECT=0)
    orders: OrderStore
    tickets: TicketStore
    ledger: PaymentLedger
    refunds: RefundStore
    gateways: Mapping[Provider, PaymentGateway]
    verifier: TokenVerifier
    gates: GateStore
    codes: TicketCodeReader
    order_refunds: OrderRefunds
    audit: AuditTrail
    sales: SalesReport
    users: UserDirectory
    # The waiting room (None: a composition without one, e.g. the unit tests' fakes).
    waiting_rooms: WaitingRooms | None = None
    queue_line: QueueLine | None = None
    layouts: SeatLayouts | None = None  # best available (None: not offered, e.g. on the fakes)


@dataclass
class Infrastructure:
    """The connections behind the real ports: opened by the server or worker, closed at shutdown."""

    engine: AsyncEngine
    pool: AsyncConnectionPool[AsyncConnection[Any]]
    redis: Redis
    hub: SeatChangeHub
    gateways: Mapping[Provider, PaymentGateway]
    users: KeycloakUsers

    async def open(self) -> None:
        await self.pool.open(wait=True)
        # The engine's first connection initializes the dialect (server version, settings): tens of
        # milliseconds on the event loop, paid here rather than by the first request.
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        self.hub.start()

    async def close(self) -> None:
        await self.hub.stop()
        for gateway in self.gateways.values():
            close = getattr(gateway, "close", None)
            if close is not None:
                await close()
        await self.users.close()
        await self.pool.close()
        await self.redis.aclose()
        await self.engine.dispose()


@dataclass
class Container:
    settings: BookingSettings
    ports: Ports
    infrastructure: Infrastructure | None  # None when assembled on handed-in ports
    venues: VenueUseCases
    events: EventUseCases
    holds: HoldUseCases
    orders: OrderUseCases
    payments: PaymentUseCases
    gates: GateUseCases
    refunds: RefundUseCases
    sales: SalesUseCases
    users: UserAdminUseCases
    clock: Clock
    waiting_room: WaitingRoomUseCases | None = None
    best_available: BestAvailableUseCases | None = None
    # The process's metrics: the adapters' own counters (refunds) are registered here, and the
    # server or worker serving /metrics adds its own.
    registry: CollectorRegistry = field(default_factory=new_registry)

    @property
    def verifier(self) -> TokenVerifier:
        return self.ports.verifier

    @property
    def seat_cache(self) -> SeatStatusCache:
        return self.ports.seat_cache

    @property
    def gateways(self) -> Mapping[Provider, PaymentGateway]:
        return self.ports.gateways

    def _infrastructure(self) -> Infrastructure:
        if self.infrastructure is None:
            raise RuntimeError("this container was assembled on handed-in ports: it has no connections")
        return self.infrastructure

    @property
    def pool(self) -> AsyncConnectionPool[AsyncConnection[Any]]:
        return self._infrastructure().pool

    @property
    def redis(self) -> Redis:
        return self._infrastructure().redis

    @property
    def hub(self) -> SeatChangeHub:
        return self._infrastructure().hub

    async def open(self) -> None:
        if self.infrastructure is not None:
            await self.infrastructure.open()

    async def close(self) -> None:
        if self.infrastructure is not None:
            await self.infrastructure.close()


async def _configure_claim_connection(conn: AsyncConnection[Any]) -> None:
    # A claim waits at most this long for a row lock, then answers SEATS_BUSY instead of piling up.
    await conn.execute("SET lock_timeout = '3s'")


def ticket_signer(settings: OrderSettings) -> TicketSigner:
    secret = settings.ticket_signing_secret
    if not secret:  # from_env requires the secret, so only code-built settings (tests) get here
        log.warning("no ticket signing secret: signing tickets with an ephemeral key")
        secret = secrets.token_hex(32)
    return TicketSigner(load_private_key(secret))


def key_ring(signer: TicketSigner, settings: OrderSettings) -> TicketKeyRing:
    return TicketKeyRing(signer.public_key, [load_public_key(key) for key in settings.retired_ticket_keys])


def adapters(
    settings: BookingSettings,
    clock: Clock,
    *,
    verifier: TokenVerifier | None = None,
    gateways: Mapping[Provider, PaymentGateway] | None = None,
    registry: CollectorRegistry | None = None,
) -> tuple[Ports, Infrastructure]:
    """The real ports: PostgreSQL (SQLAlchemy for the catalog, raw psycopg for the hot paths), Redis,
    the payment providers configured in the environment, and the JWKS token verifier."""
    engine = create_async_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        pool_pre_ping=True,
    )
    sessions = async_sessionmaker(engine, expire_on_commit=False)

    def unit_of_work() -> SqlUnitOfWork:
        return SqlUnitOfWork(sessions, clock, uuid.uuid4)

    pool: AsyncConnectionPool[AsyncConnection[Any]] = AsyncConnectionPool(
        settings.libpq_url,
        min_size=settings.db_pool_size,
        max_size=settings.db_pool_size,
        kwargs={"autocommit": True},
        configure=_configure_claim_connection,
        open=False,
    )
    # Bounded, and waiting when all are busy: redis-py's default pool raises at its 101st concurrent
    # user, which a burst of winners' after-commit signals reached (the live map then missed those
    # seats until its watchers reconnected).
    redis = Redis.from_pool(  # the client owns the pool: closing it closes the pool
        BlockingConnectionPool.from_url(
            settings.redis_url, max_connections=REDIS_CONNECTIONS, timeout=REDIS_WAIT_SECONDS
        )
    )
    view = TakenSeatsView() if settings.fast_reject else None
    providers = dict(gateways) if gateways is not None else dict(build_gateways(settings.payments))
    signer = ticket_signer(settings.orders)
    directory = KeycloakUsers(settings.directory)
    ports = Ports(
        unit_of_work=unit_of_work,
        claims=PgSeatClaims(pool, clock),
        signals=RedisSeatSignals(redis),  # one script registration, shared by holds, orders and payments
        seat_cache=RedisSeatCache(redis),
        taken=view,
        orders=PgOrders(pool, clock),
        tickets=PgTickets(pool),
        ledger=PgPaymentLedger(pool, clock, signer),
        refunds=PgRefunds(pool, clock),
        gateways=counted(providers, registry or new_registry()),
        verifier=verifier
        or JwksTokenVerifier(
            TokenPolicy(
                issuer=settings.oidc_issuer, audience=settings.oidc_audience, jwks_url=settings.jwks_url
            )
        ),
        gates=PgGates(pool),
        codes=key_ring(signer, settings.orders),
        order_refunds=PgOrderRefunds(pool, clock),
        audit=PgAuditTrail(pool),
        sales=PgSales(pool),
        users=directory,
        waiting_rooms=PgWaitingRooms(pool),
        queue_line=RedisQueueLine(redis),
        layouts=PgSeatLayouts(pool),
    )
    return ports, Infrastructure(
        engine,
        pool,
        redis,
        SeatChangeHub(redis, [view.apply] if view is not None else []),
        providers,
        directory,
    )


def waiting_room_use_cases(
    settings: BookingSettings, ports: Ports, clock: Clock, new_id: IdFactory
) -> WaitingRoomUseCases | None:
    if ports.waiting_rooms is None or ports.queue_line is None:
        return None
    secret = settings.queue_pass_secret
    if not secret:  # from_env requires it, so only code-built settings (tests) get here
        log.warning("no queue pass secret: signing passes with an ephemeral key (one process only)")
        secret = secrets.token_hex(32)
    return WaitingRoomUseCases(ports.waiting_rooms, ports.queue_line, clock, new_id, secret.encode())


def build(
    settings: BookingSettings,
    *,
    clock: Callable[[], datetime] = utc_now,
    new_id: IdFactory = uuid.uuid4,
    verifier: TokenVerifier | None = None,
    gateways: Mapping[Provider, PaymentGateway] | None = None,
    ports: Ports | None = None,
) -> Container:
    infrastructure = None
    registry = new_registry()
    if ports is None:
        ports, infrastructure = adapters(
            settings, clock, verifier=verifier, gateways=gateways, registry=registry
        )
    waiting_room = waiting_room_use_cases(settings, ports, clock, new_id)
    holds = HoldUseCases(
        ports.claims,
        ports.signals,
        ports.taken,
        ports.seat_cache,
        clock,
        new_id,
        timedelta(seconds=settings.hold_ttl_seconds),
        admission=waiting_room.admission if waiting_room is not None else no_queue,
    )
    window = PaymentWindow(
        timedelta(seconds=settings.orders.payment_window_seconds),
        timedelta(seconds=settings.orders.payment_cap_seconds),
    )
    orders = OrderUseCases(
        ports.orders,
        ports.tickets,
        ports.ledger,
        ports.gateways,
        ports.signals,
        window,
        clock=clock,
        new_id=new_id,
        default_return_url=settings.orders.return_url,
    )
    grace = timedelta(seconds=settings.orders.reconcile_grace_seconds)
    payments = PaymentUseCases(ports.ledger, ports.refunds, ports.gateways, ports.signals, clock, grace)
    refunds = RefundUseCases(ports.order_refunds, ports.audit, payments, ports.signals, clock)
    return Container(
        settings=settings,
        ports=ports,
        infrastructure=infrastructure,
        venues=VenueUseCases(ports.unit_of_work, clock, new_id),
        events=EventUseCases(ports.unit_of_work, clock, new_id, statuses=holds, refunds=refunds),
        holds=holds,
        orders=orders,
        payments=payments,
        gates=GateUseCases(ports.gates, ports.codes, clock, new_id),
        refunds=refunds,
        sales=SalesUseCases(ports.sales, ports.orders, clock),
        users=UserAdminUseCases(ports.users, ports.audit, clock),
        clock=clock,
        waiting_room=waiting_room,
        best_available=(
            BestAvailableUseCases(holds, ports.claims, ports.layouts, ports.taken) if ports.layouts else None
        ),
        registry=registry,
    )
