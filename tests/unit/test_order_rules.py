"""The order state machine and checkout rules, without I/O."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from booking.domain.order import (
    Action,
    Order,
    OrderItem,
    OrderState,
    PaymentWindow,
    action_for,
    amount_matches,
    choose_provider,
    order_reference,
)
from booking.domain.payment import NoticeKind, Provider

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def _order(total: int = 5000, currency: str = "USD") -> Order:
    return Order(
        id=uuid.uuid4(),
        reference="AT-TEST",
        event_id=uuid.uuid4(),
        hold_id=uuid.uuid4(),
        customer="c",
        customer_name="",
        customer_email="",
        state=OrderState.PENDING_PAYMENT,
        items=(OrderItem("A-1", "std", total),),
        currency_code=currency,
        total_minor=total,
        provider=Provider.STRIPE,
        session=None,
        payment_deadline=NOW,
        created_at=NOW,
    )


@pytest.mark.parametrize(
    ("state", "notice", "action"),
    [
        (OrderState.PENDING_PAYMENT, NoticeKind.PAID, Action.BOOK),
        (OrderState.PENDING_PAYMENT, NoticeKind.REFUNDED, Action.REFUND_UNPAID),
        (OrderState.PENDING_PAYMENT, NoticeKind.CLOSED, Action.CLOSE),
        (OrderState.PENDING_PAYMENT, NoticeKind.INFORMATIONAL, Action.NOTHING),
        (OrderState.PAID, NoticeKind.PAID, Action.NOTHING),
        (OrderState.PAID, NoticeKind.CLOSED, Action.NOTHING),
        (OrderState.PAID, NoticeKind.REFUNDED, Action.REFUND_PAID),
        (OrderState.EXPIRED, NoticeKind.PAID, Action.BOOK),
        (OrderState.CANCELLED, NoticeKind.PAID, Action.BOOK),
        (OrderState.EXPIRED, NoticeKind.CLOSED, Action.NOTHING),
        (OrderState.REFUNDED, NoticeKind.PAID, Action.NOTHING),
        (OrderState.REFUNDED, NoticeKind.REFUNDED, Action.NOTHING),
    ],
)
def test_state_machine_only_moves_forward(state: OrderState, notice: NoticeKind, action: Action) -> None:
    assert action_for(state, notice) is action


def test_no_notice_takes_a_refunded_order_anywhere() -> None:
    assert {action_for(OrderState.REFUNDED, kind) for kind in NoticeKind} == {Action.NOTHING}


def test_payment_window_extends_but_is_capped_from_the_hold_creation() -> None:
    window = PaymentWindow(window=timedelta(minutes=15), hard_cap=timedelta(minutes=30))
    created = NOW - timedelta(minutes=5)
    assert window.deadline(NOW, created, NOW + timedelta(minutes=5)) == NOW + timedelta(minutes=15)
    late = NOW - timedelta(minutes=25)
    assert window.deadline(NOW, late, NOW + timedelta(minutes=1)) == late + timedelta(minutes=30)


def test_payment_window_never_shortens_a_hold() -> None:
    window = PaymentWindow(window=timedelta(minutes=1), hard_cap=timedelta(minutes=2))
    expires = NOW + timedelta(minutes=9)
    assert window.deadline(NOW, NOW, expires) == expires


def test_provider_follows_the_currency_unless_chosen() -> None:
    assert choose_provider(None, "LKR") is Provider.PAYHERE
    assert choose_provider(None, "USD") is Provider.STRIPE
    assert choose_provider(Provider.ONEPAY, "LKR") is Provider.ONEPAY


def test_a_payment_must_be_the_exact_amount_and_currency() -> None:
    order = _order(total=100010, currency="LKR")
    assert amount_matches(order, 100010, "lkr")
    assert not amount_matches(order, 100000, "LKR")
    assert not amount_matches(order, 100010, "USD")
    assert amount_matches(order, None, "")


def test_order_reference_is_short_stable_and_distinct() -> None:
    first, second = uuid.uuid4(), uuid.uuid4()
    assert order_reference(first) == order_reference(first)
    assert order_reference(first) != order_reference(second)
    assert len(order_reference(first)) == 11
