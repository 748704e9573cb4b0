"""The organizer's sales view on fakes: only the event's own organizer sees it, and the CSV export
carries every ticket with buyers' text that cannot run as a spreadsheet formula."""

from __future__ import annotations

import csv
import io

import pytest

from apextick_platform.errors import DomainError, ErrorCode
from apextick_platform.identity import Principal
from booking.domain.payment import Provider
from tests.unit.fake_container import assemble
from tests.unit.test_order_use_cases import checkout, paid
from tests.use_case_support import ORGANIZER, organizer, published_event, seat


async def test_the_export_lists_every_ticket_and_defuses_formulas() -> None:
    container, _ = assemble()
    sale = await published_event(container)
    buyer = Principal(
        "buyer-x", ORGANIZER.roles, display_name='=HYPERLINK("http://x")', email="b@example.test"
    )
    hold = await container.holds.hold_seats(buyer, sale.event_id, [seat("A", 1), seat("A", 2)], "h")
    order = await container.orders.checkout(buyer, checkout(hold))
    await container.payments.receive(Provider.STRIPE, paid(order), {})
    text = await container.sales.export(ORGANIZER, sale.event_id)
    header, *rows = list(csv.reader(io.StringIO(text)))
    assert header[:3] == ["ticket", "seat_id", "price_tier_id"]
    assert sorted(r[1] for r in rows) == [seat("A", 1), seat("A", 2)]
    assert {r[4] for r in rows} == {'\'=HYPERLINK("http://x")'}
    board = await container.sales.dashboard(ORGANIZER, sale.event_id)
    assert board.revenue[0].gross_minor == order.total_minor


async def test_another_organizer_sees_nothing_of_the_event() -> None:
    container, _ = assemble()
    sale = await published_event(container)
    for call in (
        container.sales.dashboard(organizer(), sale.event_id),
        container.sales.attendees(organizer(), sale.event_id, "", 10, ""),
        container.sales.export(organizer(), sale.event_id),
    ):
        with pytest.raises(DomainError) as hidden:
            await call
        assert hidden.value.code is ErrorCode.EVENT_NOT_FOUND
