"""Refunds we decide on, on fakes through the real composition root: a cancelled event refunds each
paid order once however often it is cancelled, a retried request replays, and a refund of an unpaid or
already refunded order is refused without a write."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from uuid import UUID

import pytest

from apextick_platform.errors import DomainError, ErrorCode
from booking.bootstrap import Container
from booking.domain.events import OrderRefunded
from booking.domain.order import Order, OrderState, RefundAsked, RefundReason
from booking.domain.payment import Provider
from booking.domain.ticket import TicketStatus
from booking.service_layer import event_use_cases
from booking.service_layer.payment_ports import RefundRequest
from tests.fakes.world import FakeWorld
from tests.unit.fake_container import assemble
from tests.unit.test_order_use_cases import checkout, paid
from tests.use_case_support import ORGANIZER, customer, key, published_event, seat


async def paid_orders(count: int) -> tuple[Container, FakeWorld, list[Order]]:
    container, world = assemble()
    sale = await published_event(container, rows=2, per_row=count)
    made = []
    for n in range(count):
        buyer = customer()
        hold = await container.holds.hold_seats(buyer, sale.event_id, [seat("A", n + 1)], f"h-{n}")
        order = await container.orders.checkout(buyer, checkout(hold, f"co-{n}"))
        await container.payments.receive(Provider.STRIPE, paid(order, f"evt-{n}"), {})
        made.append(world.database.tables.orders[order.id])
    return container, world, made


async def test_cancelling_refunds_each_paid_order_once_however_often_it_is_cancelled() -> None:
    container, world, orders = await paid_orders(3)
    event_id = orders[0].event_id
    request = key()
    for _ in range(3):  # the organizer's retries
        await container.events.cancel_event(ORGANIZER, event_id, "storm", request)
    assert sorted(world.gateway.refund_calls) == sorted(o.id for o in orders)
    tables = world.database.tables
    assert {(tables.orders[o.id].state, tables.orders[o.id].refund_reason) for o in orders} == {
        (OrderState.REFUNDED, RefundReason.EVENT_CANCELLED)
    }
    assert {t.status for t in tables.tickets.values()} == {TicketStatus.VOID}
    refunded = [e.event for e in tables.outbox if isinstance(e.event, OrderRefunded)]
    assert sorted(r.order_id for r in refunded) == sorted(o.id for o in orders)
    assert await container.refunds.reconcile() == 0  # nothing left


async def test_a_refund_is_made_once_per_request_and_refused_when_not_due() -> None:
    container, world, (order, other) = await paid_orders(2)
    asked = RefundAsked("admin-1", "r-1")
    request = RefundRequest(order.id, RefundReason.ADMIN_REFUND, asked, "RefundOrder")
    first = await container.refunds.refund(request)
    again = await container.refunds.refund(request)
    assert (first.state, again.state) == (OrderState.REFUNDED, OrderState.REFUNDED)
    assert world.gateway.refund_calls == [order.id]
    other_request = RefundAsked("admin-1", "r-2")
    with pytest.raises(DomainError) as twice:
        await container.refunds.refund(RefundRequest(order.id, RefundReason.ADMIN_REFUND, other_request))
    assert twice.value.code is ErrorCode.ORDER_ALREADY_REFUNDED
    buyer = customer()
    sale = await published_event(container)
    hold = await container.holds.hold_seats(buyer, sale.event_id, [seat("A", 1)], "h-x")
    unpaid = await container.orders.checkout(buyer, checkout(hold, "co-x"))
    with pytest.raises(DomainError) as not_paid:
        await container.refunds.refund(RefundRequest(unpaid.id, RefundReason.ADMIN_REFUND, asked))
    assert not_paid.value.code is ErrorCode.ORDER_NOT_PAID
    assert world.database.tables.orders[other.id].state is OrderState.PAID
    assert world.gateway.refund_calls == [order.id]


async def with_policy(container: Container, event_id: UUID, hours: int | None) -> None:
    event = await container.events.get_event(ORGANIZER, event_id)
    proposed = replace(event.details, refund_until_hours=hours)
    await container.events.update_event(ORGANIZER, event_id, proposed, None, {"refund_policy"}, key())


async def test_customers_refund_their_own_orders_within_the_event_s_policy() -> None:
    container, world, (mine, theirs) = await paid_orders(2)
    buyer = customer(mine.customer)
    with pytest.raises(DomainError) as never:
        await container.refunds.customer_refund(buyer, mine.id, "r-1")
    assert never.value.code is ErrorCode.REFUND_NOT_ALLOWED
    await with_policy(container, mine.event_id, 48)  # the event starts in 30 days: the window is open
    with pytest.raises(DomainError) as not_mine:
        await container.refunds.customer_refund(buyer, theirs.id, "r-2")
    assert not_mine.value.code is ErrorCode.ORDER_NOT_FOUND
    refunded = await container.refunds.customer_refund(buyer, mine.id, "r-3")
    assert (refunded.state, refunded.refund_reason) == (OrderState.REFUNDED, RefundReason.CUSTOMER_REQUEST)
    world.clock.advance(timedelta(days=29, hours=1))  # past 48 hours before the start
    assert (
        await container.refunds.customer_refund(buyer, mine.id, "r-3")
    ).state is OrderState.REFUNDED  # replay
    with pytest.raises(DomainError) as closed:
        await container.refunds.customer_refund(customer(theirs.customer), theirs.id, "r-4")
    assert closed.value.code is ErrorCode.REFUND_WINDOW_CLOSED
    assert world.gateway.refund_calls == [mine.id]


async def test_a_cancel_refunds_up_to_its_bound_and_the_reconciler_finishes_the_house(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(event_use_cases, "INLINE_CANCELLATION_REFUNDS", 2)
    container, world, orders = await paid_orders(5)
    await container.events.cancel_event(ORGANIZER, orders[0].event_id, "storm", key())
    tables = world.database.tables
    states = [tables.orders[o.id].state for o in orders]
    assert (states.count(OrderState.REFUNDED), states.count(OrderState.PAID)) == (2, 3)
    assert await container.refunds.reconcile() == 3
    assert {tables.orders[o.id].state for o in orders} == {OrderState.REFUNDED}
    assert sorted(world.gateway.refund_calls) == sorted(o.id for o in orders)  # each once
