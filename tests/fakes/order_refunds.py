"""Refunds we decide on, in memory: the rules of PgOrderRefunds over the fakes' shared tables."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from uuid import UUID

from booking.domain.event import EventStatus
from booking.domain.events import Buyer, EventSummary, OrderRefunded
from booking.domain.hold import SeatStatus
from booking.domain.order import Order, OrderState, RefundAsked, refund_decision
from booking.domain.ticket import TicketStatus
from booking.service_layer.hold_ports import SeatChangeNote
from booking.service_layer.order_use_cases import order_not_found
from booking.service_layer.payment_ports import (
    REFUND_LEASE,
    AuditEntry,
    CustomerRefundTerms,
    RefundDue,
    RefundOutcome,
    RefundRequest,
)
from booking.service_layer.ports import Clock
from tests.fakes.tables import Database, OutboxEntry, RefundRow, Tables


def summary(tables: Tables, order: Order) -> EventSummary:
    event = tables.events[order.event_id]
    venue = tables.venues[event.venue_id]
    return EventSummary(event.id, event.details.display_name, venue.display_name, venue.city,
                        event.details.schedule.start, venue.time_zone)  # fmt: skip


class FakeOrderRefunds:
    def __init__(self, database: Database, clock: Clock) -> None:
        self._db = database
        self._clock = clock
        self.audit: list[AuditEntry] = []

    async def refund(self, request: RefundRequest) -> RefundOutcome:
        tables = self._db.tables
        order = tables.orders.get(request.order_id)
        if order is None:
            raise order_not_found(request.order_id)
        row = tables.refunds.get(order.id)
        previous = RefundAsked(row.requested_by, row.request_id) if row else None
        if not refund_decision(order, request.asked, previous):
            return RefundOutcome(order, None)
        if request.refused is not None:
            raise request.refused
        now, voided = self._clock(), []
        for ticket in list(tables.tickets.values()):
            if ticket.order_id == order.id and ticket.status is TicketStatus.VALID:
                tables.tickets[ticket.id] = replace(ticket, status=TicketStatus.VOID)
                voided.append(ticket.id)
        freed = self._free(tables, order)
        tables.orders[order.id] = replace(order, state=OrderState.REFUNDED, refund_reason=request.reason)
        due = RefundDue(order.id, order.provider, order.payment_ref, order.total_minor, order.currency_code)
        asked = request.asked
        row = RefundRow(due, updated_at=now, leased_until=now + REFUND_LEASE)
        row.requested_by, row.request_id = asked.actor, asked.request_id
        tables.refunds[order.id] = row
        buyer = Buyer(order.customer, order.customer_name, order.customer_email)
        refunded = OrderRefunded(order.id, order.reference, buyer, summary(tables, order), tuple(voided),
                                 due.amount_minor, order.currency_code, request.reason.value)  # fmt: skip
        tables.outbox.append(OutboxEntry(refunded, request.asked.actor, request.asked.request_id))
        self._write_audit(request, due, now)
        changes = (
            (SeatChangeNote(order.event_id, order.hold_id, freed, SeatStatus.AVAILABLE),) if freed else ()
        )
        return RefundOutcome(tables.orders[order.id], due, changes)

    def _write_audit(self, request: RefundRequest, due: RefundDue, now: datetime) -> None:
        asked, action = request.asked, request.audit_action
        if not action or any((e.actor, e.action, e.request_id) == (asked.actor, action, asked.request_id)
                             for e in self.audit):  # fmt: skip
            return
        detail = json.dumps({"amount_minor": due.amount_minor, "currency_code": due.currency_code})
        target = f"orders/{due.order_id}"
        entry = AuditEntry(len(self.audit) + 1, asked.actor, action, target, asked.request_id, detail, now)
        self.audit.append(entry)

    @staticmethod
    def _free(tables: Tables, order: Order) -> tuple[str, ...]:
        seats, freed = tables.event_seats[order.event_id], []
        for seat in order.seat_ids:
            row = seats[seat]
            if row.hold_id == order.hold_id and row.status == "BOOKED":
                row.status, row.hold_id, row.holder, row.hold_expires_at = "AVAILABLE", None, None, None
                freed.append(seat)
        return tuple(freed)

    async def customer_terms(self, order_id: UUID) -> CustomerRefundTerms | None:
        order = self._db.tables.orders.get(order_id)
        if order is None:
            return None
        details = self._db.tables.events[order.event_id].details
        return CustomerRefundTerms(order.customer, details.refund_until_hours, details.schedule.start)

    async def owner_of(self, order_id: UUID) -> str | None:
        order = self._db.tables.orders.get(order_id)
        return self._db.tables.events[order.event_id].organizer if order else None

    async def entries(self, after: tuple[datetime, int] | None, limit: int) -> Sequence[AuditEntry]:
        """The fake is the audit trail too (it writes the entries)."""
        newest = sorted(self.audit, key=lambda e: (e.at, e.id), reverse=True)
        return [e for e in newest if after is None or (e.at, e.id) < after][:limit]

    async def find(self, actor: str, action: str, request_id: str) -> AuditEntry | None:
        key = (actor, action, request_id)
        return next((e for e in self.audit if (e.actor, e.action, e.request_id) == key), None)

    async def record(self, entry: AuditEntry) -> None:
        if await self.find(entry.actor, entry.action, entry.request_id) is None:
            self.audit.append(replace(entry, id=len(self.audit) + 1))

    async def paid_orders(self, event_id: UUID, limit: int) -> Sequence[UUID]:
        paid = [
            o.id
            for o in self._db.tables.orders.values()
            if o.event_id == event_id and o.state is OrderState.PAID
        ]
        return sorted(paid)[:limit]

    async def cancelled_events_with_paid_orders(self, limit: int) -> Sequence[UUID]:
        tables = self._db.tables
        events = {
            o.event_id for o in tables.orders.values()
            if o.state is OrderState.PAID and tables.events[o.event_id].status is EventStatus.CANCELLED
        }  # fmt: skip
        return sorted(events)[:limit]
