"""In-memory payment ledger and refunds (twins of pg_ledger.py with pg_payments.py, and pg_refunds.py):
one step per provider event, deduplicated on (provider, event id), the domain deciding each action."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from uuid import UUID

from apextick_platform.errors import DomainError, ErrorCode
from booking.domain.event import EventStatus
from booking.domain.events import (
    Buyer,
    EventSummary,
    IssuedTicket,
    OrderClosed,
    OrderConfirmed,
    OrderRefunded,
)
from booking.domain.hold import HoldStatus, SeatStatus
from booking.domain.order import (
    Action,
    EventAtSale,
    Order,
    OrderState,
    RefundReason,
    Settlement,
    action_for,
    amount_matches,
    refund_terms,
    settle_payment,
)
from booking.domain.payment import NoticeKind, PaymentNotice
from booking.domain.ticket import Ticket, TicketStatus
from booking.service_layer.hold_ports import SeatChangeNote
from booking.service_layer.order_ports import TicketCodes
from booking.service_layer.payment_ports import REFUND_LEASE, NoticeOutcome, NoticeResult, RefundDue
from booking.service_layer.ports import Clock
from booking.service_layer.seat_signals import freed
from tests.fakes.holds import end_hold
from tests.fakes.tables import Database, OutboxEntry, RefundRow, Tables

ACTOR = "payments"
Changes = tuple[SeatChangeNote, ...]


class FakeLedger:
    def __init__(self, database: Database, clock: Clock, codes: TicketCodes) -> None:
        self._db = database
        self._clock = clock
        self._codes = codes
        self.payment_refs: dict[UUID, str] = {}

    async def apply(self, notice: PaymentNotice) -> NoticeResult:
        tables = self._db.tables
        order = self._order_of(tables, notice)
        if notice.kind is NoticeKind.PAID and not amount_matches(
            order, notice.amount_minor, notice.currency_code
        ):
            raise DomainError(
                ErrorCode.PAYMENT_MISMATCH,
                "the payment's amount or currency differs from the order's",
                metadata={"order": f"orders/{order.id}"},
            )
        key = (notice.provider.value, notice.event_id)
        if key in tables.payment_events:
            return NoticeResult(NoticeOutcome.DUPLICATE, order)
        tables.payment_events.add(key)
        step = _Step(tables, order, notice, self._clock(), self._codes)
        refund, changes = step.run(action_for(order.state, notice.kind))
        return NoticeResult(NoticeOutcome.APPLIED, tables.orders[order.id], refund, changes)

    @staticmethod
    def _order_of(tables: Tables, notice: PaymentNotice) -> Order:
        order = tables.orders.get(notice.order_id) if notice.order_id is not None else None
        if order is None and (notice.session_id or notice.payment_ref):
            order = next(
                (
                    o
                    for o in tables.orders.values()
                    if o.provider is notice.provider
                    and (
                        (notice.session_id and o.session and o.session.session_id == notice.session_id)
                        or (notice.payment_ref and o.payment_ref == notice.payment_ref)
                    )
                ),
                None,
            )
        if order is None or order.provider is not notice.provider:
            raise DomainError(ErrorCode.WEBHOOK_UNKNOWN_ORDER, "the notification names no order of ours")
        if notice.session_id and order.session is not None and notice.session_id != order.session.session_id:
            raise DomainError(
                ErrorCode.WEBHOOK_UNKNOWN_ORDER, "the notification's session is not this order's"
            )
        return order

    async def stale(self, now: datetime, limit: int) -> Sequence[Order]:
        tables = self._db.tables
        pending = [
            o
            for o in tables.orders.values()
            if o.state is OrderState.PENDING_PAYMENT
            and (o.payment_deadline <= now or tables.holds[o.hold_id].status is not HoldStatus.ACTIVE)
        ]
        return sorted(pending, key=lambda o: o.payment_deadline)[:limit]

    async def open_sessions_of_ended_orders(self, limit: int) -> Sequence[Order]:
        tables = self._db.tables
        return [
            o
            for o in tables.orders.values()
            if o.state in {OrderState.CANCELLED, OrderState.EXPIRED}
            and o.session is not None
            and o.id not in tables.sessions_closed
        ][:limit]

    async def mark_session_closed(self, order_id: UUID) -> None:
        self._db.tables.sessions_closed.add(order_id)


class _Step:
    """One action on one order, as pg_payments._Step does it in SQL."""

    def __init__(
        self, tables: Tables, order: Order, notice: PaymentNotice, now: datetime, codes: TicketCodes
    ) -> None:
        self.t, self.order, self.notice, self.now, self.codes = tables, order, notice, now, codes

    def run(self, action: Action) -> tuple[RefundDue | None, Changes]:
        match action:
            case Action.BOOK:
                return self._book_or_refund()
            case Action.REFUND_UNPAID:
                changes = self._end_hold(HoldStatus.RELEASED)
                self._mark_refunded(RefundReason.PROVIDER_REFUND, ())
                return None, changes
            case Action.REFUND_PAID:
                return None, self._refunded_paid()
            case Action.CLOSE:
                return None, self._close()
            case Action.NOTHING:
                return None, ()

    def _book_or_refund(self) -> tuple[RefundDue | None, Changes]:
        order = self.order
        if self.notice.payment_ref:
            order = replace(order, payment_ref=self.notice.payment_ref)
            self.t.orders[order.id] = self.order = order
        hold = self.t.holds[order.hold_id]
        seats = self.t.event_seats[order.event_id]
        held = sum(1 for s in order.seat_ids if seats[s].hold_id == hold.id and seats[s].status == "HELD")
        active = hold.status is HoldStatus.ACTIVE
        event = self.t.events[order.event_id]
        at_sale = EventAtSale(event.status is EventStatus.CANCELLED, event.details.schedule.end)
        settlement = settle_payment(
            order, hold_active=active, seats_still_held=held, event=at_sale, now=self.now
        )
        if settlement is Settlement.BOOK:
            return None, self._book()
        changes = self._end_hold(HoldStatus.EXPIRED)
        self._mark_refunded(RefundReason(settlement.value), ())
        terms = refund_terms(order, self.notice.amount_minor, self.notice.payment_ref)
        if order.id in self.t.refunds:
            return None, changes
        due = RefundDue(order.id, order.provider, terms.payment_ref, terms.amount_minor, order.currency_code)
        self.t.refunds[order.id] = RefundRow(due, updated_at=self.now, leased_until=self.now + REFUND_LEASE)
        return due, changes

    def _book(self) -> Changes:
        order, seats = self.order, self.t.event_seats[self.order.event_id]
        for seat in order.seat_ids:
            seats[seat].status, seats[seat].hold_expires_at = "BOOKED", None
        self.t.holds[order.hold_id] = replace(self.t.holds[order.hold_id], status=HoldStatus.CONVERTED)
        self.t.orders[order.id] = replace(order, state=OrderState.PAID, paid_at=self.now)
        issued = []
        for item in order.items:
            ticket_id = uuid.uuid4()
            code = self.codes.sign(str(ticket_id), str(order.event_id), item.seat_id, self.now)
            self.t.tickets[ticket_id] = Ticket(
                ticket_id, order.id, order.event_id, item.seat_id, item.tier_id, order.customer, code,
                TicketStatus.VALID, self.now,
            )  # fmt: skip
            issued.append(
                IssuedTicket(ticket_id, item.seat_id, "", "", "", item.tier_id, "", item.price_minor, code)
            )
        confirmed = OrderConfirmed(
            order.id, order.reference, _buyer(order), self._summary(), tuple(issued), order.total_minor,
            order.currency_code, self.now,
        )  # fmt: skip
        self.t.outbox.append(OutboxEntry(confirmed, ACTOR, self.notice.event_id))
        return (
            SeatChangeNote(order.event_id, order.hold_id, order.seat_ids, SeatStatus.BOOKED, order.customer),
        )

    def _refunded_paid(self) -> Changes:
        order, seats = self.order, self.t.event_seats[self.order.event_id]
        voided = []
        for ticket in list(self.t.tickets.values()):
            if ticket.order_id == order.id and ticket.status is TicketStatus.VALID:
                self.t.tickets[ticket.id] = replace(ticket, status=TicketStatus.VOID)
                voided.append(ticket.id)
        released = []
        for seat in order.seat_ids:
            row = seats[seat]
            if row.hold_id == order.hold_id and row.status == "BOOKED":
                row.status, row.hold_id, row.holder, row.hold_expires_at = "AVAILABLE", None, None, None
                released.append(seat)
        self._mark_refunded(RefundReason.PROVIDER_REFUND, tuple(voided))
        if not released:
            return ()
        return (SeatChangeNote(order.event_id, order.hold_id, tuple(released), SeatStatus.AVAILABLE),)

    def _close(self) -> Changes:
        changes = self._end_hold(HoldStatus.EXPIRED)
        self.t.orders[self.order.id] = replace(self.t.orders[self.order.id], state=OrderState.EXPIRED)
        self.t.sessions_closed.add(self.order.id)
        closed = OrderClosed(self.order.id, self.order.customer, OrderState.EXPIRED.value)
        self.t.outbox.append(OutboxEntry(closed, ACTOR, self.notice.event_id))
        return changes

    def _end_hold(self, status: HoldStatus) -> Changes:
        ended = end_hold(self.t, self.order.hold_id, status, True, ACTOR, self.notice.event_id)
        return (freed(ended),) if ended is not None else ()

    def _mark_refunded(self, reason: RefundReason, voided: tuple[UUID, ...]) -> None:
        order = self.t.orders[self.order.id]
        self.t.orders[order.id] = replace(order, state=OrderState.REFUNDED, refund_reason=reason)
        amount = refund_terms(order, self.notice.amount_minor, self.notice.payment_ref).amount_minor
        refunded = OrderRefunded(
            order.id, order.reference, _buyer(order), self._summary(), voided, amount, order.currency_code,
            reason.value,
        )  # fmt: skip
        self.t.outbox.append(OutboxEntry(refunded, ACTOR, self.notice.event_id))

    def _summary(self) -> EventSummary:
        event = self.t.events[self.order.event_id]
        venue = self.t.venues[event.venue_id]
        details = event.details
        return EventSummary(
            event.id, details.display_name, venue.display_name, venue.city, details.schedule.start,
            venue.time_zone,
        )  # fmt: skip


def _buyer(order: Order) -> Buyer:
    return Buyer(order.customer, order.customer_name, order.customer_email)


class FakeRefunds:
    def __init__(self, database: Database, clock: Clock) -> None:
        self._db = database
        self._clock = clock

    async def refunds_due(self, limit: int) -> Sequence[RefundDue]:
        now = self._clock()
        pending = [
            r for r in self._db.tables.refunds.values()
            if r.status == "PENDING" and (r.leased_until is None or r.leased_until < now)
        ]  # fmt: skip
        taken = sorted(pending, key=lambda r: r.updated_at or now)[:limit]
        for row in taken:
            row.leased_until = now + REFUND_LEASE
        return [r.due for r in taken]

    async def finish_refund(
        self, order_id: UUID, provider_refund_id: str, *, manual: bool, error: str
    ) -> None:
        row = self._db.tables.refunds.get(order_id)
        if row is not None and row.status == "PENDING":
            row.status = "MANUAL" if manual else "SUCCEEDED"
            row.provider_refund_id, row.last_error, row.updated_at = provider_refund_id, error, self._clock()
            row.attempts += 1

    async def retry_refund_later(self, order_id: UUID, error: str) -> None:
        row = self._db.tables.refunds.get(order_id)
        if row is not None and row.status == "PENDING":
            row.attempts, row.last_error, row.updated_at = row.attempts + 1, error[:500], self._clock()
            row.leased_until = None
