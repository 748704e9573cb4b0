"""Refunds we decide on, in raw psycopg 3: one transaction locks the order, lets the domain decide
(`refund_decision`), voids the tickets, frees the seats, marks the order REFUNDED, records the one
refund row per order (leased to this caller, who calls the provider after commit), writes OrderRefunded,
and, for a person's money action, one audit row."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from booking.adapters.outbox import write_outbox
from booking.adapters.pg_audit import RECORD_ENTRY
from booking.adapters.pg_order_rows import VOID_TICKETS, fetch_order
from booking.adapters.pg_order_summary import buyer_of, summary_of
from booking.adapters.pg_payments import FREE_BOOKED
from booking.domain.events import OrderRefunded
from booking.domain.hold import SeatStatus
from booking.domain.order import Order, RefundAsked, refund_decision
from booking.service_layer.hold_ports import SeatChangeNote
from booking.service_layer.order_use_cases import order_not_found
from booking.service_layer.payment_ports import (
    REFUND_LEASE,
    CustomerRefundTerms,
    RefundDue,
    RefundOutcome,
    RefundRequest,
)
from booking.service_layer.ports import Clock

PREVIOUS = "SELECT requested_by, request_id FROM refund WHERE order_id = %s"
CAPTURED = "SELECT payment_ref, captured_minor FROM payment WHERE order_id = %s"
MARK_REFUNDED = (
    "UPDATE purchase_order SET state = 'REFUNDED', refund_reason = %s, ended_at = %s WHERE id = %s"
)
INSERT_REFUND = """
INSERT INTO refund (order_id, provider, payment_ref, amount_minor, currency_code, reason, status,
                    leased_until, requested_by, request_id)
VALUES (%s, %s, %s, %s, %s, %s, 'PENDING', %s, %s, %s)
"""
TERMS = """
SELECT o.customer, e.refund_until_hours, e.starts_at FROM purchase_order o JOIN event e ON e.id = o.event_id
WHERE o.id = %s
"""
OWNER = "SELECT e.organizer FROM purchase_order o JOIN event e ON e.id = o.event_id WHERE o.id = %s"
PAID_ORDERS = "SELECT id FROM purchase_order WHERE event_id = %s AND state = 'PAID' ORDER BY id LIMIT %s"
CANCELLED_WITH_PAID = """
SELECT DISTINCT o.event_id FROM purchase_order o JOIN event e ON e.id = o.event_id
WHERE e.status = 'CANCELLED' AND o.state = 'PAID' LIMIT %s
"""


class PgOrderRefunds:
    def __init__(self, pool: AsyncConnectionPool[AsyncConnection[Any]], clock: Clock) -> None:
        self._pool = pool
        self._clock = clock

    async def refund(self, request: RefundRequest) -> RefundOutcome:
        async with self._pool.connection() as conn, conn.transaction():
            order = await fetch_order(conn, request.order_id, lock=True)
            if order is None:
                raise order_not_found(request.order_id)
            row = await (await conn.execute(PREVIOUS, (order.id,))).fetchone()
            previous = RefundAsked(row[0], row[1]) if row else None
            if not refund_decision(order, request.asked, previous):
                return RefundOutcome(order, None)
            if request.refused is not None:  # a policy said no: only this request's own replay answers
                raise request.refused
            due, changes = await self._refund_in(conn, order, request)
            updated = await fetch_order(conn, order.id)
        assert updated is not None  # noqa: S101 - locked above
        return RefundOutcome(updated, due, changes)

    async def _refund_in(
        self, conn: AsyncConnection[Any], order: Order, request: RefundRequest
    ) -> tuple[RefundDue | None, tuple[SeatChangeNote, ...]]:
        now, asked = self._clock(), request.asked
        voided = tuple(r[0] for r in await (await conn.execute(VOID_TICKETS, (now, order.id))).fetchall())
        seats = {"event": order.event_id, "seats": list(order.seat_ids), "hold": order.hold_id}
        freed = tuple(r[0] for r in await (await conn.execute(FREE_BOOKED, seats)).fetchall())
        await conn.execute(MARK_REFUNDED, (request.reason.value, now, order.id))
        due = await self._record(conn, order, request, now)
        summary = await summary_of(conn, order.event_id)
        refunded = OrderRefunded(order.id, order.reference, buyer_of(order), summary, voided,
                                 due.amount_minor, order.currency_code, request.reason.value)  # fmt: skip
        await write_outbox(conn, refunded, now, asked.actor, asked.request_id)
        if request.audit_action:
            detail = {"amount_minor": due.amount_minor, "currency_code": order.currency_code}
            detail["reason"] = request.reason.value
            target = f"orders/{order.id}"
            row = (asked.actor, request.audit_action, target, asked.request_id, json.dumps(detail), now)
            await conn.execute(RECORD_ENTRY, row)
        changes = (
            (SeatChangeNote(order.event_id, order.hold_id, freed, SeatStatus.AVAILABLE),) if freed else ()
        )
        return due, changes

    @staticmethod
    async def _record(
        conn: AsyncConnection[Any], order: Order, request: RefundRequest, now: datetime
    ) -> RefundDue:
        """The refund row: what was captured, to the payment it came from, leased to this caller."""
        captured = await (await conn.execute(CAPTURED, (order.id,))).fetchone()
        payment_ref = captured[0] if captured else ""
        amount = int(captured[1]) if captured and captured[1] is not None else order.total_minor
        asked = request.asked
        row = (order.id, order.provider.value, payment_ref, amount, order.currency_code, request.reason.value,
               now + REFUND_LEASE, asked.actor, asked.request_id)  # fmt: skip
        await conn.execute(INSERT_REFUND, row)
        return RefundDue(order.id, order.provider, payment_ref, amount, order.currency_code)

    async def customer_terms(self, order_id: UUID) -> CustomerRefundTerms | None:
        async with self._pool.connection() as conn:
            row = await (await conn.execute(TERMS, (order_id,))).fetchone()
        return CustomerRefundTerms(row[0], row[1], row[2]) if row else None

    async def owner_of(self, order_id: UUID) -> str | None:
        async with self._pool.connection() as conn:
            row = await (await conn.execute(OWNER, (order_id,))).fetchone()
        return str(row[0]) if row else None

    async def paid_orders(self, event_id: UUID, limit: int) -> Sequence[UUID]:
        async with self._pool.connection() as conn:
            return [r[0] for r in await (await conn.execute(PAID_ORDERS, (event_id, limit))).fetchall()]

    async def cancelled_events_with_paid_orders(self, limit: int) -> Sequence[UUID]:
        async with self._pool.connection() as conn:
            return [r[0] for r in await (await conn.execute(CANCELLED_WITH_PAID, (limit,))).fetchall()]
