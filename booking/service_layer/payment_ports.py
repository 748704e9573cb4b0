"""Ports of the payment area: the provider gateways (Stripe, PayHere, Onepay), the payment ledger
that applies verified notices, and the refunds still owed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol
from uuid import UUID

from apextick_platform.errors import DomainError
from booking.domain.order import Order, RefundAsked, RefundReason
from booking.domain.payment import PaymentNotice, PaymentSession, Provider, RemotePayment, SessionRequest
from booking.service_layer.hold_ports import SeatChangeNote


@dataclass(frozen=True)
class RefundDue:
    """A refund the ledger recorded (exactly once per order) and the provider has yet to make."""

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


class PaymentGateway(Protocol):
    """One provider. Every call is idempotent for the same order (keys derive from the order id), so a
    retried checkout, refund or expiry never has a second effect at the provider. Failures to reach the
    provider raise DomainError(PROVIDER_UNAVAILABLE); a notice that does not verify raises
    DomainError(WEBHOOK_SIGNATURE_INVALID) or DomainError(WEBHOOK_PAYLOAD_INVALID)."""

    @property
    def provider(self) -> Provider: ...

    def supports(self, currency_code: str) -> bool: ...

    async def open_session(self, request: SessionRequest) -> PaymentSession: ...

    async def close_session(self, order_id: UUID, session_id: str) -> None:
        """Stop the session taking a payment (Stripe: expire it). Closing a closed session is fine."""
        ...

    async def refund(self, order_id: UUID, payment_ref: str, amount_minor: int, currency_code: str) -> str:
        """Refund a captured payment in full, at most once per order; returns the provider's refund id."""
        ...

    async def lookup(self, order_id: UUID, session_id: str) -> RemotePayment:
        """Ask the provider where the order's payment is: the reconciler's answer to a lost webhook."""
        ...

    async def verify(self, body: bytes, headers: Mapping[str, str]) -> PaymentNotice:
        """Turn a raw webhook (body and lower-cased headers) into a verified notice."""
        ...


class PaymentLedger(Protocol):
    """What payments did to orders: one transaction per provider event (its key makes a redelivery a
    no-op), and the orders the reconciler must look at."""

    async def apply(self, notice: PaymentNotice) -> NoticeResult: ...
    async def stale(self, now: datetime, limit: int) -> Sequence[Order]:
        """Pending orders past their payment deadline or whose hold ended."""
        ...

    async def open_sessions_of_ended_orders(self, limit: int) -> Sequence[Order]: ...
    async def mark_session_closed(self, order_id: UUID) -> None: ...


# The maker of a refund holds it this long while it calls the provider; the reconciler takes refunds whose
# lease lapsed (a crash mid-call) or was given back (a failed call), so no two callers send one refund
# at once.
REFUND_LEASE = timedelta(seconds=60)


@dataclass(frozen=True)
class RefundRequest:
    order_id: UUID
    reason: RefundReason
    asked: RefundAsked
    audit_action: str = ""  # set for people's money actions: recorded once in the audit log
    # A policy's refusal, raised unless this very request refunded the order before (so a retry after a
    # window closed still gets its first answer).
    refused: DomainError | None = None


@dataclass(frozen=True)
class RefundOutcome:
    order: Order
    due: RefundDue | None  # the refund to send now; None for a replay
    seat_changes: tuple[SeatChangeNote, ...] = ()


@dataclass(frozen=True)
class CustomerRefundTerms:
    """What a customer's own refund request is judged by: whose order, and the event's policy."""

    customer: str
    refund_until_hours: int | None
    starts_at: datetime


class OrderRefunds(Protocol):
    """Refunds we decide on (a cancelled event, an organizer, an admin, a customer within the policy),
    each one transaction: tickets void, seats freed, the order REFUNDED, one refund row, OrderRefunded."""

    async def refund(self, request: RefundRequest) -> RefundOutcome: ...
    async def customer_terms(self, order_id: UUID) -> CustomerRefundTerms | None: ...
    async def owner_of(self, order_id: UUID) -> str | None:
        """The organizer of the order's event, or None when there is no such order."""
        ...

    async def paid_orders(self, event_id: UUID, limit: int) -> Sequence[UUID]: ...
    async def cancelled_events_with_paid_orders(self, limit: int) -> Sequence[UUID]: ...


@dataclass(frozen=True)
class AuditEntry:
    id: int  # the log's own order: entries made in the same microsecond stay apart
    actor: str
    action: str
    target: str
    request_id: str
    detail: str  # JSON
    at: datetime


class AuditTrail(Protocol):
    """The audit log, newest first. Money actions write their entry in their own transaction; actions
    made elsewhere (the identity provider's) are recorded here after they took effect."""

    async def entries(self, after: tuple[datetime, int] | None, limit: int) -> Sequence[AuditEntry]: ...
    async def find(self, actor: str, action: str, request_id: str) -> AuditEntry | None: ...
    async def record(self, entry: AuditEntry) -> None:
        """Once per (actor, action, request_id): a second record of the same key is dropped. The
        entry's id is ignored (the log numbers its entries)."""
        ...


class RefundStore(Protocol):
    """Refunds the ledger recorded, until the provider confirms them (or a human takes over)."""

    async def refunds_due(self, limit: int) -> Sequence[RefundDue]: ...
    async def finish_refund(
        self, order_id: UUID, provider_refund_id: str, *, manual: bool, error: str
    ) -> None: ...

    async def retry_refund_later(self, order_id: UUID, error: str) -> None: ...
