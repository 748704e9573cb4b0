"""Order search (the admin's SearchOrders, the organizer's ListEventOrders) against the in-memory fake
and PostgreSQL alike: by reference prefix, buyer name and email, order id and customer subject, by
state and event, newest first in pages; and organizers see only their own events' orders."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from apextick_platform.errors import DomainError, ErrorCode
from apextick_platform.identity import Principal
from booking.domain.order import Order, OrderState, RefundAsked, RefundReason
from booking.domain.payment import PaymentSession, Provider
from booking.service_layer.order_ports import CheckoutDraft, OrderQuery
from booking.service_layer.payment_ports import RefundRequest
from tests.integration.port_twins import Twin
from tests.integration.test_port_conformance import WINDOW, claim_request, paid, twin
from tests.use_case_support import customer, organizer, published_event, seat

pytestmark = pytest.mark.integration
__all__ = ["twin"]


async def bought(twin: Twin, event_id: uuid.UUID, buyer: Principal, name: str, *seats: str) -> Order:
    hold = await twin.ports.claims.claim(await claim_request(twin, event_id, buyer, *seats))
    email = f"{name.lower().replace(' ', '.')}@{buyer.subject}.test"
    draft = CheckoutDraft(uuid.uuid4(), hold.id, buyer.subject, name, email, uuid.uuid4().hex,
                          Provider.STRIPE, WINDOW)  # fmt: skip
    order = await twin.ports.orders.create(draft)
    session = PaymentSession(
        Provider.STRIPE, f"s-{order.id.hex[:8]}", "https://pay.test", order.payment_deadline
    )
    return await twin.ports.orders.attach_session(order.id, session)


async def test_orders_are_found_by_text_state_and_event_newest_first(twin: Twin) -> None:
    owner = organizer()
    sale = await published_event(twin.container, organizer=owner, rows=1, per_row=6)
    other = await published_event(twin.container, organizer=organizer(), rows=1, per_row=2)
    buyer, rival = customer(), customer()
    first = await bought(twin, sale.event_id, buyer, "Nimal Perera", seat("A", 1))
    twin.clock.advance(timedelta(seconds=1))
    second = await bought(twin, sale.event_id, rival, "Kamala Silva_x", seat("A", 2), seat("A", 3))
    twin.clock.advance(timedelta(seconds=1))
    third = await bought(twin, sale.event_id, buyer, "Nimal Perera", seat("A", 4))
    twin.clock.advance(timedelta(seconds=1))
    elsewhere = await bought(twin, other.event_id, buyer, "Nimal Perera", seat("A", 1))
    for order in (first, second):
        await twin.ports.ledger.apply(paid(order, uuid.uuid4().hex))
    await twin.ports.order_refunds.refund(
        RefundRequest(first.id, RefundReason.ADMIN_REFUND, RefundAsked("admin", "r"))
    )

    async def event_orders(text: str = "", state: OrderState | None = None) -> list[uuid.UUID]:
        page = await twin.container.sales.event_orders(owner, sale.event_id, OrderQuery(text, state), 50, "")
        return [o.id for o in page.items]

    assert await event_orders() == [third.id, second.id, first.id]  # newest first, this event only
    assert await event_orders(state=OrderState.PAID) == [second.id]
    assert await event_orders(state=OrderState.REFUNDED) == [first.id]
    assert await event_orders(second.reference[:5].lower()) == [second.id]  # reference prefix
    assert await event_orders(second.reference[2:]) == []  # not a prefix
    assert await event_orders("perera") == [third.id, first.id]  # name, any case
    assert await event_orders(f"@{rival.subject}") == [second.id]  # email
    assert await event_orders("silva_") == [second.id]  # _ is literal, not a wildcard
    assert await event_orders("silv%x") == []  # and % too
    assert await event_orders(str(third.id).upper()) == [third.id]
    everywhere = await twin.container.orders.search(OrderQuery(buyer.subject), 2, "")
    assert [o.id for o in everywhere.items] == [elsewhere.id, third.id]
    rest = await twin.container.orders.search(OrderQuery(buyer.subject), 2, everywhere.next_page_token)
    assert ([o.id for o in rest.items], rest.next_page_token) == ([first.id], "")
    narrowed = await twin.container.orders.search(OrderQuery(buyer.subject, None, other.event_id), 10, "")
    assert [o.id for o in narrowed.items] == [elsewhere.id]
    with pytest.raises(DomainError) as stranger:
        await twin.container.sales.event_orders(organizer(), sale.event_id, OrderQuery(), 10, "")
    assert stranger.value.code is ErrorCode.EVENT_NOT_FOUND
    with pytest.raises(DomainError) as foreign_token:
        await twin.container.orders.search(OrderQuery(rival.subject), 2, everywhere.next_page_token)
    assert foreign_token.value.code is ErrorCode.PAGE_TOKEN_INVALID
