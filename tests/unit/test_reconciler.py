"""The reconciler's decisions, on fakes of its ports: what it asks the provider and what notice it
applies for each answer (the database side is tested against PostgreSQL in tests/e2e)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from apextick_platform.errors import DomainError, ErrorCode
from booking.domain.order import Order, OrderItem, OrderState
from booking.domain.payment import (
    NoticeKind,
    PaymentNotice,
    PaymentSession,
    Provider,
    RemotePayment,
    RemoteState,
)
from booking.service_layer.hold_ports import SeatChangeNote
from booking.service_layer.payment_ports import NoticeOutcome, NoticeResult
from booking.service_layer.payment_use_cases import PaymentUseCases

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def pending_order() -> Order:
    return Order(
        id=uuid.uuid4(),
        reference="AT-TEST",
        event_id=uuid.uuid4(),
        hold_id=uuid.uuid4(),
        customer="c",
        customer_name="",
        customer_email="",
        state=OrderState.PENDING_PAYMENT,
        items=(OrderItem("A-1", "std", 1000),),
        currency_code="LKR",
        total_minor=1000,
        provider=Provider.PAYHERE,
        session=PaymentSession(Provider.PAYHERE, "sess-1", "https://pay", NOW),
        payment_deadline=NOW - timedelta(minutes=1),
        created_at=NOW - timedelta(minutes=16),
    )


@dataclass
class FakeOrders:
    stale_orders: list[Order]
    applied: list[PaymentNotice] = field(default_factory=list)

    async def apply(self, notice: PaymentNotice) -> NoticeResult:
        self.applied.append(notice)
        return NoticeResult(NoticeOutcome.APPLIED, self.stale_orders[0])

    async def stale(self, now: datetime, limit: int) -> Sequence[Order]:
        return self.stale_orders

    async def open_sessions_of_ended_orders(self, limit: int) -> Sequence[Order]:
        return []

    async def refunds_due(self, limit: int) -> Sequence[Any]:
        return []


@dataclass
class FakeGateway:
    answers: list[RemotePayment | DomainError]
    closed: list[str] = field(default_factory=list)
    provider: Provider = Provider.PAYHERE

    async def lookup(self, order_id: UUID, session_id: str) -> RemotePayment:
        answer = self.answers.pop(0)
        if isinstance(answer, DomainError):
            raise answer
        return answer

    async def close_session(self, order_id: UUID, session_id: str) -> None:
        self.closed.append(session_id)


class NoSignals:
    async def changed(self, note: SeatChangeNote) -> None:
        return None


def reconciler(orders: FakeOrders, gateway: FakeGateway) -> PaymentUseCases:
    gateways: Mapping[Provider, Any] = {Provider.PAYHERE: gateway}
    return PaymentUseCases(orders, orders, gateways, NoSignals(), lambda: NOW)  # type: ignore[arg-type]


async def test_a_paid_session_is_booked_without_closing_it() -> None:
    orders = FakeOrders([pending_order()])
    gateway = FakeGateway([RemotePayment(RemoteState.PAID, "pay-1", 1000, "LKR")])
    report = await reconciler(orders, gateway).reconcile()
    assert report.settled == 1
    assert gateway.closed == []
    [notice] = orders.applied
    assert (notice.kind, notice.payment_ref, notice.amount_minor) == (NoticeKind.PAID, "pay-1", 1000)


async def test_a_payment_racing_the_close_is_caught_by_asking_again() -> None:
    orders = FakeOrders([pending_order()])
    gateway = FakeGateway(
        [RemotePayment(RemoteState.OPEN), RemotePayment(RemoteState.PAID, "pay-2", 1000, "LKR")]
    )
    await reconciler(orders, gateway).reconcile()
    assert gateway.closed == ["sess-1"]
    assert [n.kind for n in orders.applied] == [NoticeKind.PAID]


@pytest.mark.parametrize("after_close", [RemoteState.OPEN, RemoteState.CLOSED])
async def test_an_unpaid_session_is_closed_and_the_order_expires(after_close: RemoteState) -> None:
    orders = FakeOrders([pending_order()])
    gateway = FakeGateway([RemotePayment(RemoteState.OPEN), RemotePayment(after_close)])
    await reconciler(orders, gateway).reconcile()
    assert [n.kind for n in orders.applied] == [NoticeKind.CLOSED]


async def test_a_provider_that_cannot_be_asked_lets_the_order_expire() -> None:
    orders = FakeOrders([pending_order()])
    unsupported = DomainError(ErrorCode.PROVIDER_NOT_SUPPORTED, "no merchant API credentials")
    await reconciler(orders, FakeGateway([unsupported])).reconcile()
    assert [n.kind for n in orders.applied] == [NoticeKind.CLOSED]


async def test_an_unreachable_provider_is_asked_again_next_round() -> None:
    orders = FakeOrders([pending_order()])
    down = DomainError(ErrorCode.PROVIDER_UNAVAILABLE, "timeout")
    report = await reconciler(orders, FakeGateway([down])).reconcile()
    assert (report.settled, orders.applied) == (0, [])
