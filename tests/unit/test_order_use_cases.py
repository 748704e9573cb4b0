"""Checkout, payments, refunds and reconciliation on fakes, through the real composition root: what the
customer and the provider see, and that money never books a seat twice nor is refunded twice."""

from __future__ import annotations

import json
from datetime import timedelta
from uuid import UUID

import pytest

from apextick_platform.errors import DomainError, ErrorCode
from apextick_platform.identity import Principal
from booking.bootstrap import Container
from booking.domain.events import OrderConfirmed, OrderRefunded
from booking.domain.hold import Hold, HoldStatus, SeatStatus
from booking.domain.order import Order, OrderState, RefundReason
from booking.domain.payment import NoticeKind, Provider, RemotePayment, RemoteState
from booking.domain.ticket import TicketStatus
from booking.service_layer.order_use_cases import CheckoutCommand
from booking.service_layer.payment_ports import NoticeOutcome
from tests.fakes.world import FakeWorld
from tests.unit.fake_container import assemble
from tests.use_case_support import ORGANIZER, customer, key, published_event, seat

BUYER = customer("buyer-1")


def checkout(hold: Hold, request_id: str = "co-1") -> CheckoutCommand:
    return CheckoutCommand(hold.id, Provider.STRIPE, "https://app.test/ok", "https://app.test/no", request_id)


def webhook(order: Order, kind: NoticeKind, event_id: str, **extra: object) -> bytes:
    body = {"event_id": event_id, "kind": kind.value, "order_id": str(order.id), **extra}
    return json.dumps(body).encode()


def paid(order: Order, event_id: str = "evt-paid", **extra: object) -> bytes:
    fields = {"amount_minor": order.total_minor, "currency_code": order.currency_code, "payment_ref": "pi_1"}
    return webhook(order, NoticeKind.PAID, event_id, **{**fields, **extra})


async def held_order() -> tuple[Container, FakeWorld, Order, UUID]:
    """A buyer's checked-out hold of two seats, waiting for its payment."""
    container, world = assemble()
    sale = await published_event(container)
    hold = await container.holds.hold_seats(BUYER, sale.event_id, [seat("A", 1), seat("A", 2)], "h-1")
    order = await container.orders.checkout(BUYER, checkout(hold))
    return container, world, order, sale.event_id


async def test_checkout_prices_on_the_server_and_extends_the_hold_to_the_payment_window() -> None:
    container, world = assemble()
    sale = await published_event(container, price=120_000)
    hold = await container.holds.hold_seats(BUYER, sale.event_id, [seat("A", 1), seat("A", 2)], "h-1")
    order = await container.orders.checkout(BUYER, checkout(hold))
    assert order.state is OrderState.PENDING_PAYMENT
    assert order.total_minor == 240_000
    assert order.session is not None
    assert order.payment_deadline == world.clock() + timedelta(minutes=15)
    assert world.database.tables.holds[hold.id].expires_at == order.payment_deadline
    assert world.signals.notes[-1].until == order.payment_deadline


async def test_a_retried_checkout_is_the_same_order_and_session() -> None:
    container, world, order, _ = await held_order()
    hold = world.database.tables.holds[order.hold_id]
    again = await container.orders.checkout(BUYER, checkout(hold))
    assert again == order
    assert len(world.gateway.sessions) == 1
    with pytest.raises(DomainError) as other_request:
        await container.orders.checkout(BUYER, checkout(hold, "co-2"))
    assert other_request.value.code is ErrorCode.HOLD_CHECKED_OUT


async def test_someone_elses_hold_is_not_found_and_a_lapsed_one_is_not_payable() -> None:
    container, world = assemble()
    sale = await published_event(container)
    hold = await container.holds.hold_seats(BUYER, sale.event_id, [seat("A", 1)], "h-1")
    with pytest.raises(DomainError) as foreign:
        await container.orders.checkout(customer(), checkout(hold))
    assert foreign.value.code is ErrorCode.HOLD_NOT_FOUND
    world.clock.advance(timedelta(minutes=11))
    with pytest.raises(DomainError) as lapsed:
        await container.orders.checkout(BUYER, checkout(hold))
    assert (lapsed.value.code, lapsed.value.metadata) == (ErrorCode.HOLD_NOT_ACTIVE, {"state": "expired"})
    assert world.database.tables.orders == {}


async def test_a_payment_books_the_seats_issues_tickets_and_confirms_once() -> None:
    container, world, order, event_id = await held_order()
    outcome = await container.payments.receive(Provider.STRIPE, paid(order), {})
    again = await container.payments.receive(Provider.STRIPE, paid(order), {})
    assert (outcome, again) == (NoticeOutcome.APPLIED, NoticeOutcome.DUPLICATE)
    booked = world.database.tables.orders[order.id]
    assert booked.state is OrderState.PAID
    statuses = await container.holds.seat_statuses(event_id)
    assert {statuses[seat("A", 1)], statuses[seat("A", 2)]} == {SeatStatus.BOOKED}
    page = await container.orders.my_tickets(BUYER, order.id, 10, "")
    assert sorted(t.seat_id for t in page.items) == [seat("A", 1), seat("A", 2)]
    assert all(t.status is TicketStatus.VALID for t in page.items)
    confirmed = [e.event for e in world.database.tables.outbox if isinstance(e.event, OrderConfirmed)]
    assert len(confirmed) == 1
    assert confirmed[0].event.display_name == "Rush Live"


async def test_a_payment_of_another_amount_changes_nothing() -> None:
    container, world, order, _ = await held_order()
    with pytest.raises(DomainError) as mismatch:
        await container.payments.receive(Provider.STRIPE, paid(order, amount_minor=1), {})
    assert mismatch.value.code is ErrorCode.PAYMENT_MISMATCH
    assert world.database.tables.orders[order.id].state is OrderState.PENDING_PAYMENT
    assert world.database.tables.payment_events == set()


async def test_money_after_the_seats_went_is_refunded_once() -> None:
    container, world, order, event_id = await held_order()
    world.clock.advance(timedelta(minutes=16))  # past the payment window
    rival = customer()
    await container.holds.hold_seats(rival, event_id, [seat("A", 1)], "r")
    await container.payments.receive(Provider.STRIPE, paid(order), {})
    await container.payments.receive(Provider.STRIPE, paid(order, "evt-paid-again"), {})
    refunded = world.database.tables.orders[order.id]
    assert (refunded.state, refunded.refund_reason) == (OrderState.REFUNDED, RefundReason.LATE_PAYMENT)
    assert world.gateway.refunded == {order.id: order.total_minor}
    assert world.database.tables.refunds[order.id].status == "SUCCEEDED"
    statuses = await container.holds.seat_statuses(event_id)
    assert statuses[seat("A", 1)] == SeatStatus.HELD  # the rival keeps it
    assert statuses[seat("A", 2)] == SeatStatus.AVAILABLE
    assert sum(isinstance(e.event, OrderRefunded) for e in world.database.tables.outbox) == 1


async def test_cancelling_frees_the_seats_and_closes_the_session() -> None:
    container, world, order, event_id = await held_order()
    cancelled = await container.orders.cancel(BUYER, order.id, "c-1")
    assert cancelled.state is OrderState.CANCELLED
    assert world.gateway.closed == [order.session.session_id]  # type: ignore[union-attr]
    statuses = await container.holds.seat_statuses(event_id)
    assert statuses[seat("A", 1)] == SeatStatus.AVAILABLE
    with pytest.raises(DomainError) as other:
        await container.orders.cancel(customer(), order.id, "c-2")
    assert other.value.code is ErrorCode.ORDER_NOT_FOUND


async def test_the_reconciler_books_a_payment_whose_webhook_was_lost() -> None:
    container, world, order, _ = await held_order()
    assert order.session is not None
    world.gateway.remote[order.session.session_id] = RemotePayment(
        RemoteState.PAID, "pi_9", order.total_minor, "LKR"
    )
    world.clock.advance(timedelta(minutes=16))
    report = await container.payments.reconcile()
    assert report.settled == 1
    assert world.database.tables.orders[order.id].state is OrderState.PAID


async def test_the_reconciler_expires_an_unpaid_order_and_frees_its_seats() -> None:
    container, world, order, event_id = await held_order()
    world.clock.advance(timedelta(minutes=16))
    await container.payments.reconcile()
    assert world.database.tables.orders[order.id].state is OrderState.EXPIRED
    assert order.session is not None
    assert order.session.session_id in world.gateway.closed
    statuses = await container.holds.seat_statuses(event_id)
    assert statuses[seat("A", 2)] == SeatStatus.AVAILABLE


async def test_a_cancelled_event_sells_nothing_and_money_that_still_comes_goes_back_once() -> None:
    container, world, order, event_id = await held_order()
    other = await container.holds.hold_seats(customer(), event_id, [seat("B", 1)], "h-2")
    await container.events.cancel_event(ORGANIZER, event_id, "storm warning", key())
    assert world.database.tables.holds[other.id].status is HoldStatus.RELEASED  # the holds ended
    with pytest.raises(DomainError) as closed:
        await container.orders.checkout(other_buyer(other), checkout(other))
    assert (closed.value.code, closed.value.metadata) == (ErrorCode.EVENT_CLOSED, {"state": "cancelled"})
    await container.payments.receive(Provider.STRIPE, paid(order), {})
    await container.payments.receive(Provider.STRIPE, paid(order, "evt-paid-twice"), {})
    refunded = world.database.tables.orders[order.id]
    assert (refunded.state, refunded.refund_reason) == (OrderState.REFUNDED, RefundReason.EVENT_CANCELLED)
    assert world.gateway.refunded == {order.id: order.total_minor}
    assert set((await container.holds.seat_statuses(event_id)).values()) == {SeatStatus.AVAILABLE}
    assert world.database.tables.tickets == {}


def other_buyer(hold: Hold) -> Principal:
    return customer(hold.customer)
