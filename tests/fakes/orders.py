"""In-memory orders, tickets, payment ledger and refunds (twins of pg_orders, pg_tickets, pg_ledger with
pg_payments, and pg_refunds). The decisions are the domain's own functions, as in the adapters."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TypeVar
from uuid import UUID

from apextick_platform.errors import DomainError, ErrorCode
from booking.domain.event import EventStatus
from booking.domain.events import OrderClosed
from booking.domain.hold import HoldStatus
from booking.domain.order import (
    EventAtSale,
    HoldAtCheckout,
    Order,
    OrderItem,
    OrderState,
    check_event_sells,
    check_payable,
    check_request_id,
    checkout_replay,
    order_reference,
)
from booking.domain.payment import PaymentSession
from booking.domain.ticket import Ticket
from booking.service_layer.order_ports import CancelResult, CheckoutDraft, OrderQuery
from booking.service_layer.ports import Clock, Cursor
from booking.service_layer.seat_signals import freed
from tests.fakes.holds import end_hold
from tests.fakes.tables import Database, OutboxEntry, Tables

T = TypeVar("T")


def newest_first(
    items: Sequence[T], key: Callable[[T], tuple[datetime, UUID]], after: Cursor | None, limit: int
) -> list[T]:
    """Keyset paging, newest first, as the adapters' SQL does it."""
    ordered = sorted(items, key=key, reverse=True)
    if after is not None:
        ordered = [item for item in ordered if key(item) < (after.sort_value, after.id)]
    return ordered[:limit]


def matches(order: Order, query: OrderQuery) -> bool:
    """OrderQuery's rules, written again in Python (the conformance test holds the two together)."""
    if query.state is not None and order.state is not query.state:
        return False
    if query.event_id is not None and order.event_id != query.event_id:
        return False
    text = query.text
    needle = text.lower()
    return (
        not text
        or order.reference.lower().startswith(needle)
        or needle in order.customer_name.lower()
        or needle in order.customer_email.lower()
        or str(order.id) == needle
        or order.customer == text
    )


class FakeOrders:
    def __init__(self, database: Database, clock: Clock) -> None:
        self._db = database
        self._clock = clock

    async def create(self, draft: CheckoutDraft) -> Order:
        tables, now = self._db.tables, self._clock()
        hold = tables.holds.get(draft.hold_id)
        existing = next((o for o in tables.orders.values() if o.hold_id == draft.hold_id), None)
        found = None
        if hold is not None:
            event = tables.events[hold.event_id]
            at_sale = EventAtSale(event.status is EventStatus.CANCELLED, event.details.schedule.end)
            found = HoldAtCheckout(
                hold, at_sale, existing.id if existing else None, _request_of(tables, existing)
            )
        replayed = checkout_replay(found, draft.hold_id, draft.customer, draft.request_id)
        if replayed is not None:
            return tables.orders[replayed]
        assert hold is not None
        assert found is not None
        earlier = tables.order_requests.get((draft.customer, draft.request_id))
        check_request_id(tables.orders[earlier].hold_id if earlier else None, hold.id)
        check_event_sells(found.event, now)
        seats = tables.event_seats.get(hold.event_id, {})
        held = sum(1 for s in hold.seat_ids if seats[s].hold_id == hold.id and seats[s].status == "HELD")
        check_payable(hold, held, now)
        deadline = draft.window.deadline(now, hold.created_at, hold.expires_at)
        tables.holds[hold.id] = replace(hold, expires_at=deadline)
        for seat in hold.seat_ids:
            seats[seat].hold_expires_at = deadline
        order = Order(
            id=draft.order_id,
            reference=order_reference(draft.order_id),
            event_id=hold.event_id,
            hold_id=hold.id,
            customer=draft.customer,
            customer_name=draft.customer_name,
            customer_email=draft.customer_email,
            state=OrderState.PENDING_PAYMENT,
            items=tuple(
                sorted((OrderItem(s.seat_id, s.tier_id, s.price_minor) for s in hold.seats), key=_seat)
            ),
            currency_code=hold.currency_code,
            total_minor=hold.total_minor,
            provider=draft.provider,
            session=None,
            payment_deadline=deadline,
            created_at=now,
        )
        tables.orders[order.id] = order
        tables.order_requests[(draft.customer, draft.request_id)] = order.id
        return order

    async def hold_currency(self, hold_id: UUID, customer: str) -> str | None:
        hold = self._db.tables.holds.get(hold_id)
        return hold.currency_code if hold is not None and hold.customer == customer else None

    async def attach_session(self, order_id: UUID, session: PaymentSession) -> Order:
        order = self._db.tables.orders[order_id]
        if order.session is None:
            order = replace(order, session=session)
            self._db.tables.orders[order_id] = order
        return order

    async def get(self, order_id: UUID) -> Order | None:
        return self._db.tables.orders.get(order_id)

    async def for_customer(self, customer: str, after: Cursor | None, limit: int) -> Sequence[Order]:
        mine = [o for o in self._db.tables.orders.values() if o.customer == customer]
        return newest_first(mine, lambda o: (o.created_at, o.id), after, limit)

    async def search(self, query: OrderQuery, after: Cursor | None, limit: int) -> Sequence[Order]:
        return newest_first(
            [o for o in self._db.tables.orders.values() if matches(o, query)],
            lambda o: (o.created_at, o.id), after, limit,
        )  # fmt: skip

    async def cancel(self, order_id: UUID, actor: str, request_id: str) -> CancelResult:
        tables = self._db.tables
        order = tables.orders.get(order_id)
        if order is None:
            raise DomainError(ErrorCode.ORDER_NOT_FOUND, "no such order")
        if order.state is OrderState.CANCELLED:
            return CancelResult(order)
        if order.state is not OrderState.PENDING_PAYMENT:
            state = order.state.value.lower()
            raise DomainError(ErrorCode.ORDER_NOT_PENDING, f"the order is {state}", metadata={"state": state})
        ended = end_hold(tables, order.hold_id, HoldStatus.RELEASED, True, actor, request_id)
        cancelled = replace(order, state=OrderState.CANCELLED)
        tables.orders[order_id] = cancelled
        tables.outbox.append(
            OutboxEntry(OrderClosed(order.id, order.customer, "CANCELLED"), actor, request_id)
        )
        return CancelResult(cancelled, (freed(ended),) if ended is not None else ())


def _seat(item: OrderItem) -> str:
    return item.seat_id


def _request_of(tables: Tables, order: Order | None) -> str | None:
    if order is None:
        return None
    return next((rid for (_, rid), oid in tables.order_requests.items() if oid == order.id), None)


class FakeTickets:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def tickets_for(
        self, customer: str, order_id: UUID | None, after: Cursor | None, limit: int
    ) -> Sequence[Ticket]:
        mine = [
            t
            for t in self._db.tables.tickets.values()
            if t.customer == customer and (order_id is None or t.order_id == order_id)
        ]
        return newest_first(mine, lambda t: (t.issued_at, t.id), after, limit)

    async def ticket(self, ticket_id: UUID) -> Ticket | None:
        return self._db.tables.tickets.get(ticket_id)
