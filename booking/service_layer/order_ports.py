"""Ports of the order area: orders (checkout, reads, cancellation), tickets, and ticket signing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from booking.domain.order import Order, OrderState, PaymentWindow
from booking.domain.payment import PaymentSession, Provider
from booking.domain.ticket import Ticket
from booking.service_layer.hold_ports import SeatChangeNote
from booking.service_layer.ports import Cursor


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
class CancelResult:
    order: Order
    seat_changes: tuple[SeatChangeNote, ...] = ()


class TicketCodes(Protocol):
    def sign(self, ticket_id: str, event_id: str, seat_id: str, issued_at: datetime) -> str: ...


@dataclass(frozen=True)
class OrderQuery:
    """What admins and organizers search orders by. `text` matches the reference as a prefix, the
    buyer's name and email anywhere (case-insensitive), and the order id and customer subject exactly;
    empty matches every order."""

    text: str = ""
    state: OrderState | None = None
    event_id: UUID | None = None


class OrderStore(Protocol):
    """Orders as checkout and the customer see them; each change is one transaction."""

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
    async def search(self, query: OrderQuery, after: Cursor | None, limit: int) -> Sequence[Order]:
        """Newest first."""
        ...


class TicketStore(Protocol):
    """Issued tickets, newest first (they are written by the payment ledger when an order is paid)."""

    async def tickets_for(
        self, customer: str, order_id: UUID | None, after: Cursor | None, limit: int
    ) -> Sequence[Ticket]: ...
    async def ticket(self, ticket_id: UUID) -> Ticket | None: ...
