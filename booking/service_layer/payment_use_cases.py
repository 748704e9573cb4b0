"""Payment notices and reconciliation: how money turns into booked seats, or back into money.

A webhook is verified by its provider's adapter, then applied in one transaction that the provider
event's primary key makes idempotent. Whatever a webhook does not deliver, the reconciler finds: it
asks providers about pending orders past their window, closes sessions of ended orders, and retries
refunds the providers have not yet confirmed."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from apextick_platform.errors import DomainError, ErrorCode
from booking.domain.order import Order
from booking.domain.payment import NoticeKind, PaymentNotice, Provider, RemotePayment, RemoteState
from booking.service_layer.hold_ports import SeatSignals
from booking.service_layer.payment_ports import (
    NoticeOutcome,
    NoticeResult,
    PaymentGateway,
    PaymentLedger,
    RefundDue,
    RefundStore,
)
from booking.service_layer.payment_sessions import close_session, gateway_for
from booking.service_layer.ports import Clock
from booking.service_layer.seat_signals import send_after_commit

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReconcileReport:
    settled: int = 0  # pending orders found paid or closed at the provider
    sessions_closed: int = 0
    refunds_made: int = 0
    refunds_failed: int = 0


class PaymentUseCases:
    def __init__(
        self,
        ledger: PaymentLedger,
        refunds: RefundStore,
        gateways: Mapping[Provider, PaymentGateway],
        signals: SeatSignals,
        clock: Clock,
        grace: timedelta = timedelta(seconds=30),
    ) -> None:
        self._ledger = ledger
        self._refunds = refunds
        self._gateways = gateways
        self._signals = signals
        self._clock = clock
        self._grace = grace

    def _gateway(self, provider: Provider) -> PaymentGateway:
        return gateway_for(self._gateways, provider)

    async def receive(self, provider: Provider, body: bytes, headers: Mapping[str, str]) -> NoticeOutcome:
        """A genuine notice of a kind that concerns no order (a provider sends many) is acknowledged
        and ignored; one that names an order we do not have is refused."""
        notice = await self._gateway(provider).verify(body, headers)
        names_order = notice.order_id is not None or bool(notice.session_id or notice.payment_ref)
        if notice.kind is NoticeKind.INFORMATIONAL and not names_order:
            return NoticeOutcome.IGNORED
        return (await self.apply(notice)).outcome

    async def apply(self, notice: PaymentNotice) -> NoticeResult:
        result = await self._ledger.apply(notice)
        await send_after_commit(self._signals, result.seat_changes)
        if result.refund is not None:
            await self.send_refund(result.refund)
        return result

    async def send_refund(self, due: RefundDue) -> bool:
        """At most one refund per order: the store recorded it once; the provider's idempotency key is
        the order id, so retrying a refund whose answer was lost refunds nothing twice."""
        try:
            refund_id = await self._gateway(due.provider).refund(
                due.order_id, due.payment_ref, due.amount_minor, due.currency_code
            )
        except DomainError as error:
            if error.code is ErrorCode.PROVIDER_NOT_SUPPORTED:
                await self._refunds.finish_refund(due.order_id, "", manual=True, error=error.message)
                log.error("refund needs manual action", extra={"order": str(due.order_id)})  # noqa: TRY400
                return False
            await self._refunds.retry_refund_later(due.order_id, error.message)
            log.warning("refund failed; the reconciler retries", extra={"order": str(due.order_id)})
            return False
        await self._refunds.finish_refund(due.order_id, refund_id, manual=False, error="")
        return True

    async def reconcile(self, batch: int = 100) -> ReconcileReport:
        settled = closed = made = failed = 0
        for order in await self._ledger.stale(self._clock() - self._grace, batch):
            settled += await self._settle(order)
        for order in await self._ledger.open_sessions_of_ended_orders(batch):
            closed += await close_session(self._ledger, self._gateways, order)
        for due in await self._refunds.refunds_due(batch):
            if await self.send_refund(due):
                made += 1
            else:
                failed += 1
        return ReconcileReport(settled, closed, made, failed)

    async def _settle(self, order: Order) -> int:
        """A pending order past its window (or whose hold ended): paid at the provider means book, or
        refund if too late. Otherwise the session is closed first and the provider asked again, so a
        payment racing the close is not missed; then the order expires. Providers that cannot close a
        session (PayHere, Onepay) may still take a payment later: it lands on an expired order and is
        refunded by the late-payment path."""
        if order.session is None:
            event_id = f"reconcile:{order.id}:no-session"
            await self.apply(PaymentNotice(order.provider, event_id, NoticeKind.CLOSED, order.id))
            return 1
        session_id = order.session.session_id
        remote = await self._remote_state(order, session_id)
        if remote is None:
            return 0
        kind = NoticeKind.PAID if remote.state is RemoteState.PAID else NoticeKind.CLOSED
        notice = PaymentNotice(
            order.provider,
            f"reconcile:{session_id}:{kind.value}",
            kind,
            order.id,
            session_id=session_id,
            payment_ref=remote.payment_ref,
            amount_minor=remote.amount_minor,
            currency_code=remote.currency_code,
        )
        try:
            await self.apply(notice)
        except DomainError as error:  # PAYMENT_MISMATCH: an error each round until a human settles it
            detail = {"order": str(order.id), "reason": error.code.value}
            log.error("reconcile could not settle an order", extra=detail)  # noqa: TRY400 - no traceback
            return 0
        return 1

    async def _remote_state(self, order: Order, session_id: str) -> RemotePayment | None:
        """Where the provider says the payment is, after closing a session that is not paid. None: ask
        again next round. A provider that cannot be asked (no lookup API configured) answers CLOSED:
        the order expires, and a payment that still comes is refunded as late."""
        gateway = self._gateway(order.provider)
        try:
            remote = await gateway.lookup(order.id, session_id)
            if remote.state is not RemoteState.PAID:
                await gateway.close_session(order.id, session_id)
                remote = await gateway.lookup(order.id, session_id)
        except DomainError as error:
            if error.code is ErrorCode.PROVIDER_NOT_SUPPORTED:
                return RemotePayment(RemoteState.CLOSED)
            log.warning("reconcile lookup failed", extra={"order": str(order.id), "reason": error.message})
            return None
        return remote
