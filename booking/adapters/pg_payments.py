"""Applying a verified payment notice: one transaction records the provider event (its primary key
makes a redelivery a no-op), moves the order forward and, on payment, books the seats, issues the
tickets and writes OrderConfirmed to the outbox, or, when the seats are gone, records the one refund
the order will ever get."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection

from apextick_platform.errors import DomainError, ErrorCode
from booking.adapters.outbox import write_outbox
from booking.adapters.pg_claims import end_hold
from booking.adapters.pg_order_rows import VOID_TICKETS, fetch_order
from booking.adapters.pg_order_summary import buyer_of, issued_tickets, summary_of
from booking.domain.events import OrderClosed, OrderConfirmed, OrderRefunded
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
from booking.service_layer.hold_ports import SeatChangeNote
from booking.service_layer.order_ports import TicketCodes
from booking.service_layer.payment_ports import REFUND_LEASE, NoticeOutcome, NoticeResult, RefundDue
from booking.service_layer.seat_signals import freed

ACTOR = "payments"

RECORD_EVENT = """
INSERT INTO payment_event (provider, provider_event_id, order_id, kind, outcome)
VALUES (%s, %s, %s, %s, '') ON CONFLICT DO NOTHING RETURNING 1
"""

FIND_ORDER = """
SELECT order_id FROM payment WHERE provider = %(provider)s
  AND ((%(session)s <> '' AND session_id = %(session)s) OR (%(ref)s <> '' AND payment_ref = %(ref)s))
LIMIT 1
"""

# Seats are locked in seat order (as the claim locks them), then counted: all still held by this
# order's hold, or the payment is late.
LOCK_SEATS = """
WITH locked AS (
    SELECT seat_id, hold_id, status FROM event_seat
    WHERE event_id = %(event)s AND seat_id = ANY(%(seats)s) ORDER BY seat_id FOR UPDATE
)
SELECT count(*) FILTER (WHERE hold_id = %(hold)s AND status = 'HELD') FROM locked
"""

BOOK_SEATS = """
UPDATE event_seat SET status = 'BOOKED', hold_expires_at = NULL, version = version + 1
WHERE event_id = %(event)s AND seat_id = ANY(%(seats)s) AND hold_id = %(hold)s AND status = 'HELD'
"""

FREE_BOOKED = """
UPDATE event_seat
SET status = 'AVAILABLE', hold_id = NULL, holder = NULL, hold_expires_at = NULL, version = version + 1
WHERE event_id = %(event)s AND seat_id = ANY(%(seats)s) AND hold_id = %(hold)s AND status = 'BOOKED'
RETURNING seat_id
"""

EVENT_AT_SALE = "SELECT status = 'CANCELLED', ends_at FROM event WHERE id = %(event)s FOR SHARE"

INSERT_TICKET = """
INSERT INTO ticket (id, order_id, event_id, seat_id, tier_id, customer, code, status, issued_at)
VALUES (%s, %s, %s, %s, %s, %s, %s, 'VALID', %s)
"""

RECORD_CAPTURE = """
UPDATE payment SET payment_ref = CASE WHEN %(ref)s <> '' THEN %(ref)s ELSE payment_ref END,
                   captured_minor = %(amount)s, captured_at = %(now)s
WHERE order_id = %(order)s
"""

# Made leased: the maker calls the provider right after commit (see REFUND_LEASE).
INSERT_REFUND = """
INSERT INTO refund (order_id, provider, payment_ref, amount_minor, currency_code, reason, status,
                    leased_until)
VALUES (%s, %s, %s, %s, %s, %s, 'PENDING', %s) ON CONFLICT (order_id) DO NOTHING RETURNING order_id
"""


async def apply_notice(
    conn: AsyncConnection[Any], notice: PaymentNotice, now: datetime, codes: TicketCodes
) -> NoticeResult:
    async with conn.transaction():
        order = await _locked_order(conn, notice)
        if notice.kind is NoticeKind.PAID and not amount_matches(
            order, notice.amount_minor, notice.currency_code
        ):
            raise DomainError(
                ErrorCode.PAYMENT_MISMATCH,
                "the payment's amount or currency differs from the order's",
                metadata={"order": f"orders/{order.id}"},
            )
        first = await (
            await conn.execute(
                RECORD_EVENT, (notice.provider.value, notice.event_id, order.id, notice.kind.value)
            )
        ).fetchone()
        if first is None:
            return NoticeResult(NoticeOutcome.DUPLICATE, order)
        action = action_for(order.state, notice.kind)
        step = _Step(conn, order, notice, now, codes)
        refund, changes = await step.run(action)
        await conn.execute(
            "UPDATE payment_event SET outcome = %s WHERE provider = %s AND provider_event_id = %s",
            (step.outcome or action.value, notice.provider.value, notice.event_id),
        )
        updated = await fetch_order(conn, order.id)
    assert updated is not None  # noqa: S101 - locked above
    return NoticeResult(NoticeOutcome.APPLIED, updated, refund, changes)


async def _locked_order(conn: AsyncConnection[Any], notice: PaymentNotice) -> Order:
    order_id = notice.order_id
    if order_id is None and (notice.session_id or notice.payment_ref):
        params = {"provider": notice.provider.value, "session": notice.session_id, "ref": notice.payment_ref}
        row = await (await conn.execute(FIND_ORDER, params)).fetchone()
        order_id = row[0] if row else None
    order = await fetch_order(conn, order_id, lock=True) if order_id is not None else None
    if order is None or order.provider is not notice.provider:
        raise DomainError(ErrorCode.WEBHOOK_UNKNOWN_ORDER, "the notification names no order of ours")
    # Some providers' order references are hints (Onepay's callback is unsigned); the session id the
    # adapter verified must be this order's, or one customer's payment could settle another's order.
    if notice.session_id and order.session is not None and notice.session_id != order.session.session_id:
        raise DomainError(ErrorCode.WEBHOOK_UNKNOWN_ORDER, "the notification's session is not this order's")
    return order


class _Step:
    """One action on one locked order, inside the caller's transaction."""

    def __init__(
        self,
        conn: AsyncConnection[Any],
        order: Order,
        notice: PaymentNotice,
        now: datetime,
        codes: TicketCodes,
    ) -> None:
        self.conn, self.order, self.notice, self.now, self.codes = conn, order, notice, now, codes
        self.outcome = ""
        self.params: dict[str, Any] = {
            "event": order.event_id,
            "seats": list(order.seat_ids),
            "hold": order.hold_id,
            "order": order.id,
            "now": now,
            "ref": notice.payment_ref,
            "amount": notice.amount_minor,
        }

    async def run(self, action: Action) -> tuple[RefundDue | None, tuple[SeatChangeNote, ...]]:
        match action:
            case Action.BOOK:
                return await self._book_or_refund()
            case Action.REFUND_UNPAID:
                return None, await self._refunded_unpaid()
            case Action.REFUND_PAID:
                return None, await self._refunded_paid()
            case Action.CLOSE:
                return None, await self._close()
            case Action.NOTHING:
                return None, ()

    async def _book_or_refund(self) -> tuple[RefundDue | None, tuple[SeatChangeNote, ...]]:
        await self.conn.execute(RECORD_CAPTURE, self.params)
        # FOR SHARE: a cancellation (which updates the row) waits for this payment, or this payment
        # sees the cancellation; either way the outcome is decided against the event as it stands.
        event_row = await (await self.conn.execute(EVENT_AT_SALE, self.params)).fetchone()
        assert event_row is not None  # noqa: S101 - an order's event always exists (foreign key)
        event = EventAtSale(cancelled=bool(event_row[0]), ends_at=event_row[1])
        hold_active = await (
            await self.conn.execute(
                "SELECT status = 'ACTIVE' FROM hold WHERE id = %s FOR UPDATE", (self.order.hold_id,)
            )
        ).fetchone()
        held = (await (await self.conn.execute(LOCK_SEATS, self.params)).fetchone() or (0,))[0]
        active = bool(hold_active and hold_active[0])
        settlement = settle_payment(
            self.order, hold_active=active, seats_still_held=held, event=event, now=self.now
        )
        if settlement is Settlement.BOOK:
            return None, await self._book()
        self.outcome = settlement.value
        return await self._refund_unbooked(RefundReason(settlement.value))

    async def _book(self) -> tuple[SeatChangeNote, ...]:
        conn, order, now = self.conn, self.order, self.now
        await conn.execute(BOOK_SEATS, self.params)
        await conn.execute(
            "UPDATE hold SET status = 'CONVERTED', ended_at = %s WHERE id = %s", (now, order.hold_id)
        )
        # The seats are BOOKED now; the ticket index (one live ticket per seat) guards them from here.
        await conn.execute("UPDATE hold_seat SET live = false WHERE hold_id = %s AND live", (order.hold_id,))
        await conn.execute(
            "UPDATE purchase_order SET state = 'PAID', paid_at = %s WHERE id = %s", (now, order.id)
        )
        tickets = await issued_tickets(
            conn, order, {item.seat_id: uuid.uuid4() for item in order.items}, now, self.codes
        )
        for ticket in tickets:
            await conn.execute(
                INSERT_TICKET,
                (
                    ticket.ticket_id,
                    order.id,
                    order.event_id,
                    ticket.seat_id,
                    ticket.tier_id,
                    order.customer,
                    ticket.code,
                    now,
                ),
            )
        event = OrderConfirmed(
            order.id,
            order.reference,
            buyer_of(order),
            await summary_of(conn, order.event_id),
            tickets,
            order.total_minor,
            order.currency_code,
            now,
        )
        await write_outbox(conn, event, now, ACTOR, self.notice.event_id)
        return (
            SeatChangeNote(order.event_id, order.hold_id, order.seat_ids, SeatStatus.BOOKED, order.customer),
        )

    async def _refund_unbooked(
        self, reason: RefundReason
    ) -> tuple[RefundDue | None, tuple[SeatChangeNote, ...]]:
        """The money came, the seats or the event did not wait: release what is still ours and refund,
        once."""
        order, notice = self.order, self.notice
        changes = await self._end_hold(HoldStatus.EXPIRED)
        await self._mark_refunded(reason, ())
        terms = refund_terms(order, notice.amount_minor, notice.payment_ref)
        row = await (
            await self.conn.execute(
                INSERT_REFUND,
                (
                    order.id,
                    order.provider.value,
                    terms.payment_ref,
                    terms.amount_minor,
                    order.currency_code,
                    reason.value,
                    self.now + REFUND_LEASE,
                ),
            )
        ).fetchone()
        refund = None
        if row is not None:
            refund = RefundDue(
                order.id, order.provider, terms.payment_ref, terms.amount_minor, order.currency_code
            )
        return refund, changes

    async def _refunded_unpaid(self) -> tuple[SeatChangeNote, ...]:
        changes = await self._end_hold(HoldStatus.RELEASED)
        await self._mark_refunded(RefundReason.PROVIDER_REFUND, ())
        return changes

    async def _refunded_paid(self) -> tuple[SeatChangeNote, ...]:
        """Refunded at the provider after we confirmed: the tickets become void and the seats go back
        on sale."""
        rows = await (await self.conn.execute(VOID_TICKETS, (self.now, self.order.id))).fetchall()
        released = tuple(r[0] for r in await (await self.conn.execute(FREE_BOOKED, self.params)).fetchall())
        await self._mark_refunded(RefundReason.PROVIDER_REFUND, tuple(r[0] for r in rows))
        if not released:
            return ()
        return (SeatChangeNote(self.order.event_id, self.order.hold_id, released, SeatStatus.AVAILABLE),)

    async def _close(self) -> tuple[SeatChangeNote, ...]:
        changes = await self._end_hold(HoldStatus.EXPIRED)
        await self.conn.execute(
            "UPDATE purchase_order SET state = 'EXPIRED', ended_at = %s WHERE id = %s",
            (self.now, self.order.id),
        )
        await self.conn.execute(
            "UPDATE payment SET session_closed_at = coalesce(session_closed_at, %s) WHERE order_id = %s",
            (self.now, self.order.id),
        )
        event = OrderClosed(self.order.id, self.order.customer, OrderState.EXPIRED.value)
        await write_outbox(self.conn, event, self.now, ACTOR, self.notice.event_id)
        return changes

    async def _end_hold(self, status: HoldStatus) -> tuple[SeatChangeNote, ...]:
        ended = await end_hold(
            self.conn, self.now, self.order.hold_id, status, "true", ACTOR, self.notice.event_id
        )
        return (freed(ended),) if ended is not None else ()

    async def _mark_refunded(self, reason: RefundReason, voided: tuple[UUID, ...]) -> None:
        order = self.order
        await self.conn.execute(
            "UPDATE purchase_order SET state = 'REFUNDED', refund_reason = %s, ended_at = %s WHERE id = %s",
            (reason.value, self.now, order.id),
        )
        amount = refund_terms(order, self.notice.amount_minor, self.notice.payment_ref).amount_minor
        event = OrderRefunded(
            order.id,
            order.reference,
            buyer_of(order),
            await summary_of(self.conn, order.event_id),
            voided,
            amount,
            order.currency_code,
            reason.value,
        )
        await write_outbox(self.conn, event, self.now, ACTOR, self.notice.event_id)
