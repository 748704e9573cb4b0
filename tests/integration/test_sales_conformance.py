"""The sales report against the in-memory fake and PostgreSQL alike: after a scripted sale (three paid
orders, one refunded, a live hold, an unpaid checkout, one admission), the dashboard's figures equal
those the script computes from its own records, and attendees are found by buyer and seat."""

from __future__ import annotations

import uuid

import pytest

from apextick_platform.identity import Principal
from booking.domain.order import Order, RefundAsked, RefundReason
from booking.domain.payment import PaymentSession, Provider
from booking.service_layer.gate_ports import ScanAttempt, StationDraft
from booking.service_layer.payment_ports import RefundRequest
from tests.integration.port_twins import Twin
from tests.integration.test_port_conformance import claim_request, draft_for, paid, twin
from tests.use_case_support import ORGANIZER, customer, published_event, seat

pytestmark = pytest.mark.integration
__all__ = ["twin"]
PRICE = 250_000


async def order_for(
    twin: Twin, event_id: uuid.UUID, buyer: Principal, *seats: str, pay: bool = True
) -> Order:
    hold = await twin.ports.claims.claim(await claim_request(twin, event_id, buyer, *seats))
    order = await twin.ports.orders.create(draft_for(hold, buyer, uuid.uuid4().hex))
    session = PaymentSession(
        Provider.STRIPE, f"sess-{order.id.hex[:8]}", "https://pay.test", order.payment_deadline
    )
    order = await twin.ports.orders.attach_session(order.id, session)
    if pay:
        await twin.ports.ledger.apply(paid(order, uuid.uuid4().hex))
    return order


async def test_the_dashboard_equals_the_script_s_own_figures(twin: Twin) -> None:
    sale = await published_event(twin.container, price=PRICE, rows=2, per_row=5)
    baskets = [(seat("A", 1), seat("A", 2)), (seat("A", 3),), (seat("B", 1), seat("B", 2))]
    a, b, c = [await order_for(twin, sale.event_id, customer(), *basket) for basket in baskets]
    await twin.ports.claims.claim(
        await claim_request(twin, sale.event_id, customer(), seat("B", 3))
    )  # live hold
    await order_for(twin, sale.event_id, customer(), seat("B", 4), pay=False)  # checked out, never paid
    await twin.ports.order_refunds.refund(
        RefundRequest(b.id, RefundReason.ADMIN_REFUND, RefundAsked("admin", "r"))
    )
    [ticket, *_] = await twin.ports.tickets.tickets_for(a.customer, a.id, None, 10)
    staff = frozenset({"g"})
    door = StationDraft(uuid.uuid4(), sale.event_id, "Door", staff, ORGANIZER.subject, "r", b"", twin.clock())
    station = await twin.ports.gates.create_station(door)
    reading = twin.ports.codes.read(ticket.code)
    await twin.ports.gates.scan(ScanAttempt(uuid.uuid4(), station, "g", reading, twin.clock()))
    board = await twin.container.sales.dashboard(ORGANIZER, sale.event_id)
    paid_seats, refunded_seats = 5, 1  # a: 2, b: 1, c: 2; b refunded
    [revenue] = board.revenue
    assert (revenue.currency_code, revenue.gross_minor, revenue.refunded_minor, revenue.net_minor) == (
        "LKR", paid_seats * PRICE, refunded_seats * PRICE, (paid_seats - refunded_seats) * PRICE,
    )  # fmt: skip
    sold, held = 4, 2  # a and c's seats; the live hold and the unpaid checkout
    assert [(t.id, t.seats, t.sold, t.held) for t in board.tiers] == [("standard", 10, sold, held)]
    assert [(s.id, s.seats, s.sold, s.held) for s in board.sections] == [("floor", 10, sold, held)]
    assert (board.holds_in_flight, board.seats_in_flight) == (2, 2)
    assert board.funnel == (5, 4, 3, 1)  # holds, checkouts, paid, admitted
    assert (sum(m.holds for m in board.per_minute), sum(m.paid for m in board.per_minute)) == (5, 3)
    assert board.scan_conflicts == 0
    page = await twin.container.sales.attendees(ORGANIZER, sale.event_id, c.reference.lower(), 10, "")
    assert sorted(x.seat_id for x in page.items) == [seat("B", 1), seat("B", 2)]
    everyone = await twin.container.sales.attendees(ORGANIZER, sale.event_id, "", 2, "")
    rest = await twin.container.sales.attendees(ORGANIZER, sale.event_id, "", 10, everyone.next_page_token)
    assert len(everyone.items) + len(rest.items) == 5  # every ticket issued, the refunded one included
    assert {x.state for x in [*everyone.items, *rest.items]} == {"VALID", "VOID"}
