"""Domain events: facts that committed, written to the outbox in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID


@dataclass(frozen=True)
class EventPublished:
    event_id: UUID
    organizer: str
    display_name: str
    seat_count: int
    start: datetime
    sale_start: datetime
    sale_end: datetime


@dataclass(frozen=True)
class EventCancelled:
    event_id: UUID
    organizer: str
    reason: str


DomainEvent = EventPublished | EventCancelled
