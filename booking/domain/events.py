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


@dataclass(frozen=True)
class SeatsHeld:
    hold_id: UUID
    event_id: UUID
    customer: str
    seat_ids: tuple[str, ...]
    expires_at: datetime


@dataclass(frozen=True)
class HoldReleased:
    hold_id: UUID
    event_id: UUID
    seat_ids: tuple[str, ...]


@dataclass(frozen=True)
class HoldExpired:
    hold_id: UUID
    event_id: UUID
    seat_ids: tuple[str, ...]


DomainEvent = EventPublished | EventCancelled | SeatsHeld | HoldReleased | HoldExpired
