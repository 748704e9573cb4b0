"""An order event whose names break lines (written before the text policy, or by another producer) is
folded on receipt and ticketed, never refused: a paid buyer is not dead-lettered for an organizer's typo."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from booking.adapters.event_codec import metadata
from booking.adapters.order_event_codec import encode_order_event
from booking.domain.events import Buyer, EventSummary, IssuedTicket, OrderConfirmed
from notification.adapters.bus_messages import Confirmed, decode


def test_names_with_line_breaks_are_folded_on_receipt() -> None:
    now = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)
    ticket = IssuedTicket(uuid.uuid4(), "main-A-1", "Main\nfloor", "A", "1", "vip", "V\r\nI\tP", 1000, "code")
    event = OrderConfirmed(
        uuid.uuid4(), "AT-TEXT", Buyer("buyer-1", "Nimal\nPerera", " nimal@example.test "),
        EventSummary(uuid.uuid4(), "Monsoon\nBeats", "Galle\u2028Face", "Colombo\r", now, "Asia/Colombo"),
        (ticket,), 1000, "LKR", now,
    )  # fmt: skip
    _, message = encode_order_event(event, metadata(uuid.uuid4(), now, "payments", "r"))
    decoded = decode(message.DESCRIPTOR.full_name, message.SerializeToString(), "m-1")
    assert isinstance(decoded, Confirmed)
    order = decoded.order
    assert (order.event.display_name, order.event.venue_name, order.event.city) == (
        "Monsoon Beats", "Galle Face", "Colombo",
    )  # fmt: skip
    assert (order.buyer.display_name, order.buyer.email) == ("Nimal Perera", "nimal@example.test")
    assert (order.tickets[0].section, order.tickets[0].tier_name) == ("Main floor", "V I P")
