"""Bus messages (apextick.events.v1 protobuf, named by the AMQP `type` property) to domain values.

Three outcomes, never a fourth: a message we act on, a known event that is not ours to act on (acked),
or an error. An error is retried and, at the delivery limit, dead-lettered: a message we do not
understand is never acked silently, because it may be an event we should have handled."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from apextick.events.v1 import catalog_events_pb2, inventory_events_pb2, order_events_pb2
from google.protobuf.message import DecodeError
from google.protobuf.timestamp_pb2 import Timestamp

from apextick_platform.text import one_line
from notification.domain.tickets import Buyer, EventInfo, OrderTickets, RefundNotice, TicketLine, epoch

ORDER_CONFIRMED = order_events_pb2.OrderConfirmed.DESCRIPTOR.full_name
ORDER_REFUNDED = order_events_pb2.OrderRefunded.DESCRIPTOR.full_name

# What the queue is bound to: the events this service acts on.
ROUTING_KEYS = ("orders.order_confirmed", "orders.order_refunded")

# Events of the platform that cause no email. HoldExpired in particular: a buyer whose hold ran out
# gets no mail from us (the app shows it). They reach this queue only if someone binds it wider.
IGNORED = frozenset(
    message.DESCRIPTOR.full_name
    for message in (
        order_events_pb2.OrderClosed,
        inventory_events_pb2.HoldExpired,
        inventory_events_pb2.HoldReleased,
        inventory_events_pb2.SeatsHeld,
        catalog_events_pb2.EventPublished,
        catalog_events_pb2.EventCancelled,
    )
)


class UnreadableMessageError(ValueError):
    """Not a message this service understands: wrong type, bad bytes or missing facts."""


@dataclass(frozen=True)
class Confirmed:
    event_id: str
    caused_at: datetime
    order: OrderTickets


@dataclass(frozen=True)
class Refunded:
    event_id: str
    caused_at: datetime
    notice: RefundNotice


@dataclass(frozen=True)
class Ignored:
    type_name: str


Decoded = Confirmed | Refunded | Ignored


def _time(stamp: Timestamp) -> datetime:
    return stamp.ToDatetime(tzinfo=UTC) if stamp.seconds or stamp.nanos else epoch()


def _bare(name: str, collection: str) -> str:
    """`orders/abc` to `abc`; a name of another collection is refused rather than mis-stored."""
    prefix = f"{collection}/"
    if not name.startswith(prefix) or "/" in name[len(prefix) :] or len(name) == len(prefix):
        raise UnreadableMessageError(f"{name!r} is not a {collection}/ name")
    return name[len(prefix) :]


# Printed text is folded by the platform's one text policy on receipt too: an event written before the
# policy, or by another producer, is ticketed the same way instead of being refused (and dead-lettered).


def _event(summary: order_events_pb2.EventSummary) -> EventInfo:
    return EventInfo(
        _bare(summary.event, "events") if summary.event else "",
        one_line(summary.display_name),
        one_line(summary.venue_name),
        one_line(summary.city),
        _time(summary.start_time),
        summary.time_zone,
    )


def _buyer(buyer: order_events_pb2.Buyer) -> Buyer:
    return Buyer(buyer.subject, one_line(buyer.display_name), buyer.email.strip())


def _ticket(issued: order_events_pb2.IssuedTicket) -> TicketLine:
    return TicketLine(
        _bare(issued.ticket, "tickets"), issued.seat_id, one_line(issued.section), one_line(issued.row),
        one_line(issued.seat_label), issued.price_tier_id, one_line(issued.price_tier_name),
        issued.price_minor, issued.code,
    )  # fmt: skip


def _event_id(meta: catalog_events_pb2.EventMetadata, message_id: str) -> str:
    event_id = meta.event_id or message_id
    if not event_id:
        raise UnreadableMessageError("the event has no id: it could not be deduplicated")
    return event_id


def decode(type_name: str, body: bytes, message_id: str = "") -> Decoded:
    """Raises UnreadableMessageError, or the domain's INVALID_ARGUMENT when facts are missing."""
    if type_name in IGNORED:
        return Ignored(type_name)
    try:
        if type_name == ORDER_CONFIRMED:
            confirmed = order_events_pb2.OrderConfirmed.FromString(body)
            order = OrderTickets(
                _bare(confirmed.order, "orders"),
                confirmed.order_reference,
                _buyer(confirmed.buyer),
                _event(confirmed.event),
                tuple(_ticket(t) for t in confirmed.tickets),
                confirmed.total_minor,
                confirmed.currency_code,
            )
            meta = confirmed.metadata
            return Confirmed(_event_id(meta, message_id), _time(meta.occur_time), order)
        if type_name == ORDER_REFUNDED:
            refunded = order_events_pb2.OrderRefunded.FromString(body)
            notice = RefundNotice(
                _bare(refunded.order, "orders"),
                refunded.order_reference,
                _buyer(refunded.buyer),
                _event(refunded.event),
                tuple(_bare(t, "tickets") for t in refunded.voided_tickets),
                refunded.amount_minor,
                refunded.currency_code,
                refunded.reason,
            )
            meta = refunded.metadata
            return Refunded(_event_id(meta, message_id), _time(meta.occur_time), notice)
    except DecodeError as exc:
        raise UnreadableMessageError(f"{type_name} does not parse: {exc}") from exc
    raise UnreadableMessageError(f"unknown message type {type_name!r}")
