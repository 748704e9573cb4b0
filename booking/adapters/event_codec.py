"""Domain events to their protobuf contracts (apextick.events.v1): one typed format for the bus."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from apextick.events.v1 import catalog_events_pb2 as pb
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from booking.domain.events import DomainEvent, EventCancelled, EventPublished


@dataclass(frozen=True)
class Encoded:
    aggregate: str
    aggregate_id: str
    routing_key: str
    message: Message


def timestamp(value: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


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
