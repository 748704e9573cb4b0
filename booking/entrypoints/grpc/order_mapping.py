"""Orders and tickets to their protobuf messages."""

from __future__ import annotations

from uuid import UUID

from apextick.orders.v1 import order_pb2
from apextick.tickets.v1 import ticket_pb2

from apextick_platform.proto_time import stamp
from booking.domain.order import Order, OrderState, RefundReason
from booking.domain.payment import Provider
from booking.domain.ticket import Ticket
from booking.entrypoints.grpc import names
from booking.service_layer.order_ports import OrderQuery


def provider_from_message(value: int) -> Provider | None:
    if value == order_pb2.PAYMENT_PROVIDER_UNSPECIFIED:
        return None
    return Provider(order_pb2.PaymentProvider.Name(value).removeprefix("PAYMENT_PROVIDER_"))  # type: ignore[arg-type]


def order_query(text: str, state: int, event: UUID | None = None) -> OrderQuery:
    """A search's filter fields; ORDER_STATE_UNSPECIFIED means every state."""
    chosen = None
    if state != order_pb2.ORDER_STATE_UNSPECIFIED:
        chosen = OrderState(order_pb2.OrderState.Name(state).removeprefix("ORDER_STATE_"))  # type: ignore[arg-type]
    return OrderQuery(text, chosen, event)


def order_message(order: Order) -> order_pb2.Order:
    message = order_pb2.Order(
        name=f"orders/{order.id}",
        event=names.event_name(order.event_id),
        hold=f"holds/{order.hold_id}",
        customer=order.customer,
        state=order_pb2.OrderState.Value(f"ORDER_STATE_{order.state.value}"),
        items=[
            order_pb2.OrderItem(seat_id=i.seat_id, price_tier_id=i.tier_id, price_minor=i.price_minor)
            for i in order.items
        ],
        total_minor=order.total_minor,
        currency_code=order.currency_code,
        provider=order_pb2.PaymentProvider.Value(f"PAYMENT_PROVIDER_{order.provider.value}"),
        create_time=stamp(order.created_at),
        payment_deadline=stamp(order.payment_deadline),
        pay_time=stamp(order.paid_at),
        reference=order.reference,
    )
    if order.refund_reason is not RefundReason.NONE:
        message.refund_reason = order_pb2.RefundReason.Value(f"REFUND_REASON_{order.refund_reason.value}")
    if order.session is not None:
        message.payment_session.CopyFrom(
            order_pb2.PaymentSession(
                session_id=order.session.session_id,
                redirect_url=order.session.redirect_url,
                form_fields=dict(order.session.form_fields),
                expire_time=stamp(order.session.expires_at),
            )
        )
    return message


def ticket_message(ticket: Ticket) -> ticket_pb2.Ticket:
    return ticket_pb2.Ticket(
        name=f"tickets/{ticket.id}",
        order=f"orders/{ticket.order_id}",
        event=names.event_name(ticket.event_id),
        seat_id=ticket.seat_id,
        price_tier_id=ticket.tier_id,
        code=ticket.code,
        state=ticket_pb2.TicketState.Value(f"TICKET_STATE_{ticket.status.value}"),
        issue_time=stamp(ticket.issued_at),
        # Served by the notification service through the same edge.
        pdf_uri=f"/v1/tickets/{ticket.id}/pdf",
    )
