"""Domain events to their protobuf contracts (apextick.events.v1): one typed format for the bus."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from apextick.events.v1 import catalog_events_pb2 as pb
from apextick.events.v1 import inventory_events_pb2 as inv
from google.protobuf.message import Message

from apextick_platform.proto_time import timestamp
from booking.adapters.order_event_codec import encode_order_event
from booking.domain.events import (
    DomainEvent,
    EventCancelled,
    EventPublished,
    HoldExpired,
    HoldReleased,
    OrderClosed,
    OrderConfirmed,
    OrderRefunded,
    SeatsHeld,
)


@dataclass(frozen=True)
class Encoded:
    aggregate: str
    aggregate_id: str
    routing_key: str
    message: Message


def metadata(event_id: UUID, occurred: datetime, actor: str, request_id: str) -> pb.EventMetadata:
    return pb.EventMetadata(
        event_id=str(event_id), occur_time=timestamp(occurred), actor=actor, request_id=request_id
    )


def encode(event: DomainEvent, meta: pb.EventMetadata) -> Encoded:
    """Routing keys are `<area>.<event>` so consumers bind to exactly what they handle."""
    match event:
        case EventPublished():
            message: Message = pb.EventPublished(
                metadata=meta,
                event=f"events/{event.event_id}",
                organizer=event.organizer,
                display_name=event.display_name,
                seat_count=event.seat_count,
                start_time=timestamp(event.start),
                sale_start_time=timestamp(event.sale_start),
                sale_end_time=timestamp(event.sale_end),
            )
            return Encoded("event", str(event.event_id), "catalog.event_published", message)
        case EventCancelled():
            message = pb.EventCancelled(
                metadata=meta,
                event=f"events/{event.event_id}",
                organizer=event.organizer,
                reason=event.reason,
            )
            return Encoded("event", str(event.event_id), "catalog.event_cancelled", message)
        case SeatsHeld():
            message = inv.SeatsHeld(
                metadata=meta,
                hold=f"holds/{event.hold_id}",
                event=f"events/{event.event_id}",
                customer=event.customer,
                seat_ids=event.seat_ids,
                expire_time=timestamp(event.expires_at),
            )
            return Encoded("hold", str(event.hold_id), "inventory.seats_held", message)
        case HoldReleased():
            message = inv.HoldReleased(
                metadata=meta,
                hold=f"holds/{event.hold_id}",
                event=f"events/{event.event_id}",
                seat_ids=event.seat_ids,
            )
            return Encoded("hold", str(event.hold_id), "inventory.hold_released", message)
        case HoldExpired():
            message = inv.HoldExpired(
                metadata=meta,
                hold=f"holds/{event.hold_id}",
                event=f"events/{event.event_id}",
                seat_ids=event.seat_ids,
            )
            return Encoded("hold", str(event.hold_id), "inventory.hold_expired", message)
        case OrderConfirmed() | OrderRefunded() | OrderClosed():
            routing_key, message = encode_order_event(event, meta)
            return Encoded("order", str(event.order_id), routing_key, message)


def outbox_row(
    event: DomainEvent, row_id: UUID, now: datetime, actor: str, request_id: str
) -> dict[str, Any]:
    """The outbox columns for one domain event; both the SQLAlchemy and the raw psycopg paths use it."""
    encoded = encode(event, metadata(row_id, now, actor, request_id))
    return {
        "id": row_id,
        "aggregate": encoded.aggregate,
        "aggregate_id": encoded.aggregate_id,
        "type": encoded.message.DESCRIPTOR.full_name,
        "routing_key": encoded.routing_key,
        "payload": encoded.message.SerializeToString(),
        "created_at": now,
    }
