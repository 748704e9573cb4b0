"""Refunds we decide on: a cancelled event's paid orders, an organizer's refund of an order of their
event, an admin's of any order. Each order is refunded in one transaction by the store, then sent to
its provider once by whoever made the refund (the refund's lease keeps the reconciler away meanwhile)."""

from __future__ import annotations

import logging
from uuid import UUID

from apextick_platform.errors import DomainError, ErrorCode
from apextick_platform.identity import Principal
from booking.domain.event import check_customer_refund
from booking.domain.order import Order, RefundAsked, RefundReason
from booking.service_layer import paging
from booking.service_layer.hold_ports import SeatSignals
from booking.service_layer.order_use_cases import order_not_found
from booking.service_layer.paging import Page
from booking.service_layer.payment_ports import AuditEntry, AuditTrail, OrderRefunds, RefundRequest
from booking.service_layer.payment_use_cases import PaymentUseCases
from booking.service_layer.ports import Clock, Cursor
from booking.service_layer.seat_signals import send_after_commit

log = logging.getLogger(__name__)

CANCELLATION = "system:event-cancellation"
BATCH = 200


def cancellation_request(event_id: UUID) -> str:
    """Every cancellation of one event asks with the same request id, so cancels sent three times or
    the reconciler resuming one replay each order's refund instead of making another."""
    return f"cancel:{event_id}"


AUDIT_QUERY = "audit"


class RefundUseCases:
    def __init__(
        self,
        orders: OrderRefunds,
        audit: AuditTrail,
        payments: PaymentUseCases,
        signals: SeatSignals,
        clock: Clock,
    ) -> None:
        self._clock = clock
        self._orders = orders
        self._audit = audit
        self._payments = payments
        self._signals = signals

    async def customer_refund(self, principal: Principal, order_id: UUID, request_id: str) -> Order:
        """A customer's own paid order, within the event's refund policy."""
        terms = await self._orders.customer_terms(order_id)
        if terms is None or not principal.can_manage(terms.customer):
            raise order_not_found(order_id)
        refused = None
        try:
            check_customer_refund(terms.refund_until_hours, terms.starts_at, self._clock())
        except DomainError as error:
            refused = error
        asked = RefundAsked(principal.subject, request_id)
        return await self.refund(
            RefundRequest(order_id, RefundReason.CUSTOMER_REQUEST, asked, refused=refused)
        )

    async def admin_refund(self, principal: Principal, order_id: UUID, request_id: str) -> Order:
        asked = RefundAsked(principal.subject, request_id)
        return await self.refund(
            RefundRequest(order_id, RefundReason.ADMIN_REFUND, asked, "AdminRefundOrder")
        )

    async def organizer_refund(self, principal: Principal, order_id: UUID, request_id: str) -> Order:
        """An organizer refunds orders of their own events only; to them, other orders do not exist."""
        owner = await self._orders.owner_of(order_id)
        if owner is None or not principal.can_manage(owner):
            raise order_not_found(order_id)
        asked = RefundAsked(principal.subject, request_id)
        return await self.refund(
            RefundRequest(order_id, RefundReason.ORGANIZER_REFUND, asked, "OrganizerRefundOrder")
        )

    async def audit_entries(self, requested_size: int, token: str) -> Page[AuditEntry]:
        limit = paging.page_size(requested_size, default=50, maximum=200)
        cursor = paging.decode(token, AUDIT_QUERY)
        after = (cursor.sort_value, cursor.id.int) if cursor else None
        rows = await self._audit.entries(after, limit + 1)
        return paging.cut(rows, limit, lambda e: Cursor(e.at, UUID(int=e.id)), AUDIT_QUERY)

    async def refund(self, request: RefundRequest) -> Order:
        outcome = await self._orders.refund(request)
        await send_after_commit(self._signals, outcome.seat_changes)
        if outcome.due is not None:
            await self._payments.send_refund(outcome.due)
        return outcome.order

    async def refund_cancelled_event(self, event_id: UUID, *, limit: int | None = None) -> int:
        """Refund the paid orders of a cancelled event (at most about `limit` of them; all when None),
        each exactly once; returns how many this call refunded (a concurrent cancel or the reconciler
        may have taken the others; the reconciler takes whatever the limit left)."""
        asked, made, tried = RefundAsked(CANCELLATION, cancellation_request(event_id)), 0, 0
        while (room := BATCH if limit is None else min(BATCH, limit - tried)) > 0 and (
            paid := await self._orders.paid_orders(event_id, room)
        ):
            tried += len(paid)
            for order_id in paid:
                try:
                    await self.refund(RefundRequest(order_id, RefundReason.EVENT_CANCELLED, asked))
                    made += 1
                except DomainError as error:  # refunded meanwhile by a customer, organizer or admin
                    if error.code not in (ErrorCode.ORDER_ALREADY_REFUNDED, ErrorCode.ORDER_NOT_PAID):
                        raise
        return made

    async def reconcile(self, batch: int = 10) -> int:
        """A cancellation whose refunds were cut short (the process died after the cancel committed)
        is finished here."""
        made = 0
        for event_id in await self._orders.cancelled_events_with_paid_orders(batch):
            made += await self.refund_cancelled_event(event_id)
        if made:
            log.info("refunded paid orders of cancelled events", extra={"count": made})
        return made
