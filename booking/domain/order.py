"""Orders: the state machine that payment notices drive. It only moves forward, so notices arriving
twice or in any order end in the same place."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from apextick_platform.errors import DomainError, ErrorCode
from booking.domain.hold import Hold, HoldStatus
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
    CUSTOMER_REQUEST = "CUSTOMER_REQUEST"
    ORGANIZER_REFUND = "ORGANIZER_REFUND"
    ADMIN_REFUND = "ADMIN_REFUND"


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


@dataclass(frozen=True)
class EventAtSale:
    """What checkout and a payment read of the order's event, in their own transaction."""

    cancelled: bool
    ends_at: datetime

    def sells_at(self, now: datetime) -> bool:
        return not self.cancelled and now < self.ends_at


def check_event_sells(event: EventAtSale, now: datetime) -> None:
    """A cancelled or finished event sells nothing more (FAILED_PRECONDITION EVENT_CLOSED)."""
    if not event.sells_at(now):
        state = "cancelled" if event.cancelled else "over"
        raise DomainError(ErrorCode.EVENT_CLOSED, f"the event is {state}", metadata={"state": state})


class Settlement(StrEnum):
    """What a captured payment does to an order (the BOOK action, decided under the seats' locks).
    The refunding values are the refund's reason."""

    BOOK = "BOOK"  # the hold still has every seat: book them and issue the tickets
    REFUND_LATE = "LATE_PAYMENT"  # the seats, or the event, did not wait for the money: refund it once
    REFUND_EVENT_CANCELLED = "EVENT_CANCELLED"  # the event was called off: refund it once


def settle_payment(
    order: Order, *, hold_active: bool, seats_still_held: int, event: EventAtSale, now: datetime
) -> Settlement:
    """Money books seats only while the event still sells and the order's hold is active and still
    holds every one of its seats; otherwise it goes back."""
    if event.cancelled:
        return Settlement.REFUND_EVENT_CANCELLED
    if event.sells_at(now) and hold_active and seats_still_held == len(order.items):
        return Settlement.BOOK
    return Settlement.REFUND_LATE


@dataclass(frozen=True)
class RefundTerms:
    amount_minor: int
    payment_ref: str


def refund_terms(order: Order, notice_amount: int | None, notice_ref: str) -> RefundTerms:
    """A refund returns what was captured (the notice's amount, or the order's total when the notice
    carries none) to the payment the notice names, or else the one recorded on the order."""
    amount = notice_amount if notice_amount is not None else order.total_minor
    return RefundTerms(amount, notice_ref or order.payment_ref)


@dataclass(frozen=True)
class HoldAtCheckout:
    """What checkout reads under the hold's row lock: the hold, its event, and the order it already
    has, if any."""

    hold: Hold
    event: EventAtSale
    order_id: UUID | None
    order_request_id: str | None


def checkout_replay(
    found: HoldAtCheckout | None, hold_id: UUID, customer: str, request_id: str
) -> UUID | None:
    """None: go on and make the order. An id: the order an earlier try of this very request made.
    Someone else's hold is NOT_FOUND (its id does not leak); a hold checked out by another request is
    HOLD_CHECKED_OUT."""
    if found is None or found.hold.customer != customer:
        raise DomainError(ErrorCode.HOLD_NOT_FOUND, "no such hold", metadata={"hold": str(hold_id)})
    if found.order_id is None:
        return None
    if found.order_request_id == request_id:
        return found.order_id
    raise DomainError(
        ErrorCode.HOLD_CHECKED_OUT,
        "the hold was already checked out",
        metadata={"order": f"orders/{found.order_id}"},
    )


def check_request_id(earlier_hold: UUID | None, hold_id: UUID) -> None:
    """A checkout request id belongs to one hold: reusing it for another is a client bug."""
    if earlier_hold is not None and earlier_hold != hold_id:
        raise DomainError(ErrorCode.REQUEST_ID_REUSED, "this request_id was used for another checkout")


def check_payable(hold: Hold, seats_still_held: int, now: datetime) -> None:
    """Only an active, unexpired hold that still has every seat can be paid for."""
    if hold.status is not HoldStatus.ACTIVE or hold.expires_at <= now or seats_still_held != len(hold.seats):
        state = "expired" if hold.status is HoldStatus.ACTIVE else hold.status.value.lower()
        raise DomainError(ErrorCode.HOLD_NOT_ACTIVE, f"the hold is {state}", metadata={"state": state})


@dataclass(frozen=True)
class RefundAsked:
    """Who asked for a refund, and with which request (a retry repeats both)."""

    actor: str
    request_id: str


def refund_decision(order: Order, asked: RefundAsked, previous: RefundAsked | None) -> bool:
    """True: refund the paid order now. False: this very request refunded it before, answer as then.
    Anything else is refused: an order never paid, or one another request already refunded."""
    if order.state is OrderState.REFUNDED and previous == asked:
        return False
    if order.state is OrderState.REFUNDED:
        raise DomainError(
            ErrorCode.ORDER_ALREADY_REFUNDED,
            "this order was refunded before",
            metadata={"order": f"orders/{order.id}"},
        )
    if order.state is not OrderState.PAID:
        raise DomainError(
            ErrorCode.ORDER_NOT_PAID,
            "only a paid order can be refunded",
            metadata={"order": f"orders/{order.id}"},
        )
    return True
