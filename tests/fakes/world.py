"""Booking's ports as fakes over one in-memory database, ready for `bootstrap.build(..., ports=...)`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID

from apextick_platform.jwks_verifier import JwksTokenVerifier, TokenPolicy
from booking.adapters.redis_seats import TakenSeatsView
from booking.bootstrap import Ports
from booking.domain.payment import (
    NoticeKind,
    PaymentNotice,
    PaymentSession,
    Provider,
    RemotePayment,
    RemoteState,
    SessionRequest,
)
from tests.fakes.catalog import FakeUnitOfWork
from tests.fakes.gates import FakeGates, PlainCodeReader
from tests.fakes.holds import FakeSeatCache, FakeSeatClaims, RecordingSignals
from tests.fakes.order_refunds import FakeOrderRefunds
from tests.fakes.orders import FakeOrders, FakeTickets
from tests.fakes.payments import FakeLedger, FakeRefunds
from tests.fakes.sales import FakeSales
from tests.fakes.tables import Database
from tests.fakes.users import FakeUsers


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime(2027, 1, 10, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


class PlainCodes:
    """Ticket codes that name the ticket (the real signer is tested on its own)."""

    def sign(self, ticket_id: str, event_id: str, seat_id: str, issued_at: datetime) -> str:
        return f"code:{ticket_id}:{event_id}:{seat_id}"


@dataclass
class FakeGateway:
    """A provider that takes any ISO currency, opens one session per order, and believes notices that
    are plain JSON (`{"event_id", "kind", "order_id", "amount_minor", "currency_code"}`)."""

    provider: Provider = Provider.STRIPE
    sessions: dict[UUID, PaymentSession] = field(default_factory=dict)
    closed: list[str] = field(default_factory=list)
    refunded: dict[UUID, int] = field(default_factory=dict)
    refund_calls: list[UUID] = field(default_factory=list)  # every call, for the refunds-per-order checker
    remote: dict[str, RemotePayment] = field(default_factory=dict)

    def supports(self, currency_code: str) -> bool:
        return len(currency_code) == 3 and currency_code.isalpha()  # an ISO 4217 code, as Stripe's

    async def open_session(self, request: SessionRequest) -> PaymentSession:
        session = self.sessions.get(request.order_id) or PaymentSession(
            self.provider, f"sess_{request.order_id.hex[:12]}", f"https://pay.test/{request.reference}",
            request.expires_at,
        )  # fmt: skip
        self.sessions[request.order_id] = session
        return session

    async def close_session(self, order_id: UUID, session_id: str) -> None:
        self.closed.append(session_id)

    async def refund(self, order_id: UUID, payment_ref: str, amount_minor: int, currency_code: str) -> str:
        self.refund_calls.append(order_id)
        self.refunded.setdefault(order_id, amount_minor)  # at most once per order, as the port promises
        return f"re_{order_id.hex[:12]}"

    async def lookup(self, order_id: UUID, session_id: str) -> RemotePayment:
        return self.remote.get(session_id, RemotePayment(RemoteState.OPEN))

    async def verify(self, body: bytes, headers: Mapping[str, str]) -> PaymentNotice:
        data = json.loads(body)
        return PaymentNotice(
            self.provider,
            data["event_id"],
            NoticeKind(data["kind"]),
            UUID(data["order_id"]) if data.get("order_id") else None,
            session_id=data.get("session_id", ""),
            payment_ref=data.get("payment_ref", ""),
            amount_minor=data.get("amount_minor"),
            currency_code=data.get("currency_code", ""),
        )


def unreachable_verifier() -> JwksTokenVerifier:
    """The use cases never see tokens (the call pipeline does); the composition root still wants a
    verifier, so it gets the real one, pointed at an address that nothing listens on."""
    return JwksTokenVerifier(
        TokenPolicy("http://unit.invalid/realms/x", "apextick-api", "http://127.0.0.1:9/")
    )


@dataclass
class FakeWorld:
    database: Database
    clock: Clock
    signals: RecordingSignals
    cache: FakeSeatCache
    taken: TakenSeatsView  # pure in-memory already: the real one, fed by the test through apply()
    gateway: FakeGateway
    ports: Ports


def fake_world(clock: Clock | None = None, *, fast_reject: bool = True) -> FakeWorld:
    database, clock = Database(), clock or Clock()
    cache, taken, gateway = FakeSeatCache(), TakenSeatsView(), FakeGateway()
    signals = RecordingSignals(cache)
    order_refunds = FakeOrderRefunds(database, clock)
    ports = Ports(
        unit_of_work=lambda: FakeUnitOfWork(database),
        claims=FakeSeatClaims(database, clock),
        signals=signals,
        seat_cache=cache,
        taken=taken if fast_reject else None,
        orders=FakeOrders(database, clock),
        tickets=FakeTickets(database),
        ledger=FakeLedger(database, clock, PlainCodes()),
        refunds=FakeRefunds(database, clock),
        gateways={Provider.STRIPE: gateway},
        verifier=unreachable_verifier(),
        gates=FakeGates(database),
        codes=PlainCodeReader(),
        order_refunds=order_refunds,
        audit=order_refunds,
        sales=FakeSales(database),
        users=FakeUsers(),
    )
    return FakeWorld(database, clock, signals, cache, taken, gateway, ports)
