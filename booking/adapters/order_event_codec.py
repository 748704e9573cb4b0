"""Order events to their protobuf contracts (apextick.events.v1.order_events)."""

from __future__ import annotations

from apextick.events.v1 import catalog_events_pb2 as pb
from apextick.events.v1 import order_events_pb2 as orders
from google.protobuf.message import Message

from apextick_platform.proto_time import timestamp
from booking.domain.events import Buyer, EventSummary, OrderClosed, OrderConfirmed, OrderRefunded

OrderEvent = OrderConfirmed | OrderRefunded | OrderClosed


def _buyer(buyer: Buyer) -> orders.Buyer:
    return orders.Buyer(subject=buyer.subject, display_name=buyer.display_name, email=buyer.email)


def _summary(event: EventSummary) -> orders.EventSummary:
    return orders.EventSummary(
        event=f"events/{event.event_id}",
        display_name=event.display_name,
        venue_name=event.venue_name,
        city=event.city,
        start_time=timestamp(event.start),
        time_zone=event.time_zone,
    )


def encode_order_event(event: OrderEvent, meta: pb.EventMetadata) -> tuple[str, Message]:
    """The routing key and message of an order event."""
    match event:
        case OrderConfirmed():
            tickets = [
                orders.IssuedTicket(
                    ticket=f"tickets/{t.ticket_id}",
                    seat_id=t.seat_id,
                    section=t.section,
                    row=t.row,
                    seat_label=t.seat_label,
                    price_tier_id=t.tier_id,
                    price_tier_name=t.tier_name,
                    price_minor=t.price_minor,
                    code=t.code,
                )
                for t in event.tickets
            ]
            return "orders.order_confirmed", orders.OrderConfirmed(
                metadata=meta,
                order=f"orders/{event.order_id}",
                order_reference=event.reference,
                buyer=_buyer(event.buyer),
                event=_summary(event.event),
                tickets=tickets,
                total_minor=event.total_minor,
                currency_code=event.currency_code,
                pay_time=timestamp(event.paid_at),
            )
        case OrderRefunded():
            return "orders.order_refunded", orders.OrderRefunded(
                metadata=meta,
                order=f"orders/{event.order_id}",
                order_reference=event.reference,
                buyer=_buyer(event.buyer),
                event=_summary(event.event),
                voided_tickets=[f"tickets/{t}" for t in event.voided_tickets],
                amount_minor=event.amount_minor,
                currency_code=event.currency_code,
                reason=event.reason,
            )
        case OrderClosed():
            return "orders.order_closed", orders.OrderClosed(
                metadata=meta, order=f"orders/{event.order_id}", customer=event.customer, state=event.state
            )
