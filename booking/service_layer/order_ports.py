"""Ports of the order use cases: the PostgreSQL order store, ticket signing and seat signals."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol
from uuid import UUID

from booking.domain.order import Order, PaymentWindow
from booking.domain.payment import PaymentNotice, PaymentSession, Provider
from booking.domain.ticket import Ticket
from booking.service_layer.ports import Cursor
from booking.service_layer.seat_signals import SeatChangeNote


@dataclass(frozen=True)
class CheckoutDraft:
    order_id: UUID
    hold_id: UUID
    customer: str
    customer_name: str
    customer_email: str
    request_id: str
    provider: Provider
    window: PaymentWindow


@dataclass(frozen=True)
class RefundDue:
    """A refund the store recorded (exactly once per order) and the provider has yet to make."""

    order_id: UUID
    provider: Provider
    payment_ref: str
    amount_minor: int
    currency_code: str


class NoticeOutcome(StrEnum):
    APPLIED = "APPLIED"
    DUPLICATE = "DUPLICATE"
    IGNORED = "IGNORED"


@dataclass(frozen=True)
class NoticeResult:
    outcome: NoticeOutcome
    order: Order
    refund: RefundDue | None = None
    seat_changes: tuple[SeatChangeNote, ...] = ()


@dataclass(frozen=True)
class CancelResult:
    order: Order
    seat_changes: tuple[SeatChangeNote, ...] = ()


class TicketCodes(Protocol):
    def sign(self, ticket_id: str, event_id: str, seat_id: str, issued_at: datetime) -> str: ...


class OrderStore(Protocol):
    async def create(self, draft: CheckoutDraft) -> Order:
        """The order of a live hold, made once: a replay of the same request returns the first order."""
        ...

    async def hold_currency(self, hold_id: UUID, customer: str) -> str | None:
        """The currency of the customer's hold, or None when the hold is not theirs."""
        ...

    async def attach_session(self, order_id: UUID, session: PaymentSession) -> Order: ...
    async def get(self, order_id: UUID) -> Order | None: ...
    async def for_customer(self, customer: str, after: Cursor | None, limit: int) -> Sequence[Order]: ...
    async def cancel(self, order_id: UUID, actor: str, request_id: str) -> CancelResult: ...
    async def apply(self, notice: PaymentNotice) -> NoticeResult: ...
    async def stale(self, now: datetime, limit: int) -> Sequence[Order]:
        """Pending orders past their payment deadline or whose hold ended."""
        ...

    async def open_sessions_of_ended_orders(self, limit: int) -> Sequence[Order]: ...
    async def mark_session_closed(self, order_id: UUID) -> None: ...
    async def refunds_due(self, limit: int) -> Sequence[RefundDue]: ...
    async def finish_refund(
        self, order_id: UUID, provider_refund_id: str, *, manual: bool, error: str
    ) -> None: ...

    async def retry_refund_later(self, order_id: UUID, error: str) -> None: ...
    async def tickets_for(
        self, customer: str, order_id: UUID | None, after: Cursor | None, limit: int
    ) -> Sequence[Ticket]: ...
    async def ticket(self, ticket_id: UUID) -> Ticket | None: ...
