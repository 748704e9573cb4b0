"""What an order's events print: the buyer, the event and each ticket's seat, read in the transaction
that confirms the order, so the event carries everything a ticket shows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection

from booking.domain.events import Buyer, EventSummary, IssuedTicket
from booking.domain.order import Order
from booking.service_layer.order_ports import TicketCodes

EVENT_SUMMARY = """
SELECT e.display_name, v.display_name, v.city, e.starts_at, v.time_zone
FROM event e JOIN venue v ON v.id = e.venue_id WHERE e.id = %s
"""

SEAT_DETAILS = """
SELECT s.seat_id, coalesce(sec.display_name, s.section_id), s.row_label, s.number::text,
       coalesce(t.display_name, es.tier_id)
FROM event e
JOIN event_seat es ON es.event_id = e.id
JOIN seat s ON s.seat_map_id = e.seat_map_id AND s.seat_id = es.seat_id
LEFT JOIN seat_map_section sec ON sec.seat_map_id = e.seat_map_id AND sec.section_id = s.section_id
LEFT JOIN price_tier t ON t.event_id = e.id AND t.tier_id = es.tier_id
WHERE e.id = %s AND es.seat_id = ANY(%s)
"""


def buyer_of(order: Order) -> Buyer:
    return Buyer(order.customer, order.customer_name, order.customer_email)


async def summary_of(conn: AsyncConnection[Any], event_id: UUID) -> EventSummary:
    row = await (await conn.execute(EVENT_SUMMARY, (event_id,))).fetchone()
    if row is None:  # an order's event always exists (foreign key); keep the type honest
        return EventSummary(event_id, "", "", "", datetime.min.replace(tzinfo=UTC), "UTC")
    title, venue, city, start, zone = row
    return EventSummary(event_id, title, venue, city, start, zone)


async def issued_tickets(
    conn: AsyncConnection[Any],
    order: Order,
    ticket_ids: dict[str, UUID],
    now: datetime,
    codes: TicketCodes,
) -> tuple[IssuedTicket, ...]:
    rows = await (await conn.execute(SEAT_DETAILS, (order.event_id, list(order.seat_ids)))).fetchall()
    details = {row[0]: row[1:] for row in rows}
    tickets = []
    for item in order.items:
        section, row_label, number, tier_name = details.get(item.seat_id, ("", "", "", item.tier_id))
        ticket_id = ticket_ids[item.seat_id]
        tickets.append(
            IssuedTicket(
                ticket_id=ticket_id,
                seat_id=item.seat_id,
                section=section,
                row=row_label,
                seat_label=number,
                tier_id=item.tier_id,
                tier_name=tier_name,
                price_minor=item.price_minor,
                code=codes.sign(str(ticket_id), str(order.event_id), item.seat_id, now),
            )
        )
    return tuple(tickets)
