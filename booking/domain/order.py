"""Orders: the state machine that payment notices drive. It only moves forward, so notices arriving
twice or in any order end in the same place."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from booking.domain.payment import NoticeKind, PaymentSession, Provider


class OrderState(StrEnum):
    PENDING_PAYMENT = "PENDING_PAYMENT"
    PAID = "PAID"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"
    REFUNDED = "REFUNDED"


class RefundReason(StrEnum):
    NONE = ""
    LATE_PAYMENT = "LATE_PAYMENT"
    PROVIDER_REFUND = "PROVIDER_REFUND"
    EVENT_CANCELLED = "EVENT_CANCELLED"


@dataclass(frozen=True)
class OrderItem:
    seat_id: str
    tier_id: str
    price_minor: int


@dataclass(frozen=True)
class Order:
    id: UUID
    reference: str
    event_id: UUID
    hold_id: UUID
    customer: str
    customer_name: str
    customer_email: str
    state: OrderState
    items: tuple[OrderItem, ...]
    currency_code: str
    total_minor: int
    provider: Provider
    session: PaymentSession | None
    payment_deadline: datetime
    created_at: datetime
    paid_at: datetime | None = None
    refund_reason: RefundReason = RefundReason.NONE
    payment_ref: str = ""

    @property
    def seat_ids(self) -> tuple[str, ...]:
        return tuple(item.seat_id for item in self.items)


def order_reference(order_id: UUID) -> str:
    """A short reference a human can read out on the phone: `AT-` and 8 base32 characters of the id."""
    return "AT-" + base64.b32encode(order_id.bytes).decode("ascii")[:8]


@dataclass(frozen=True)
class PaymentWindow:
    """How long a checked-out hold waits for its payment. The cap counts from the hold's creation so
    repeated checkouts cannot keep seats off sale indefinitely."""

    window: timedelta
    hard_cap: timedelta

    def deadline(self, now: datetime, hold_created: datetime, hold_expires: datetime) -> datetime:
        extended = min(now + self.window, hold_created + self.hard_cap)
        return max(extended, hold_expires)  # never shorten a hold


def choose_provider(requested: Provider | None, currency_code: str) -> Provider:
    """Sri Lankan rupees go to PayHere unless the customer chose otherwise; everything else to Stripe."""
    if requested is not None:
        return requested
    return Provider.PAYHERE if currency_code == "LKR" else Provider.STRIPE


class Action(StrEnum):
    """What a verified notice does to an order in a given state."""

    NOTHING = "NOTHING"  # duplicate in effect: the order is already past this notice
    BOOK = "BOOK"  # book the held seats and issue tickets, or refund if the seats are gone
    REFUND_UNPAID = "REFUND_UNPAID"  # money returned before we confirmed: release the seats
    REFUND_PAID = "REFUND_PAID"  # money returned after confirmation: void tickets, free the seats
    CLOSE = "CLOSE"  # the session ended unpaid: release the seats


# Rows: the order's state; columns: the notice. Terminal states absorb everything except that a PAID
# order can still be refunded, and money that lands on an ended order is booked if its seats are still
# held, otherwise refunded (the BOOK action decides that against the seats, under their locks).
_TRANSITIONS: dict[OrderState, dict[NoticeKind, Action]] = {
    OrderState.PENDING_PAYMENT: {
        NoticeKind.PAID: Action.BOOK,
        NoticeKind.REFUNDED: Action.REFUND_UNPAID,
        NoticeKind.CLOSED: Action.CLOSE,
    },
    OrderState.PAID: {NoticeKind.REFUNDED: Action.REFUND_PAID},
    OrderState.CANCELLED: {NoticeKind.PAID: Action.BOOK, NoticeKind.REFUNDED: Action.REFUND_UNPAID},
    OrderState.EXPIRED: {NoticeKind.PAID: Action.BOOK, NoticeKind.REFUNDED: Action.REFUND_UNPAID},
    OrderState.REFUNDED: {},
}


def action_for(state: OrderState, notice: NoticeKind) -> Action:
    return _TRANSITIONS[state].get(notice, Action.NOTHING)


def amount_matches(order: Order, amount_minor: int | None, currency_code: str) -> bool:
    """A captured payment must be the order's exact amount in its currency; a notice without an amount
    (some refund notices) is not compared."""
    if amount_minor is None:
        return True
    return amount_minor == order.total_minor and currency_code.upper() == order.currency_code
