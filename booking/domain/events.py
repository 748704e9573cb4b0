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


@dataclass(frozen=True)
class Buyer:
    subject: str
    display_name: str
    email: str


@dataclass(frozen=True)
class EventSummary:
    event_id: UUID
    display_name: str
    venue_name: str
    city: str
    start: datetime
    time_zone: str


@dataclass(frozen=True)
class IssuedTicket:
    ticket_id: UUID
    seat_id: str
    section: str
    row: str
    seat_label: str
    tier_id: str
    tier_name: str
    price_minor: int
    code: str


@dataclass(frozen=True)
class OrderConfirmed:
    order_id: UUID
    reference: str
    buyer: Buyer
    event: EventSummary
    tickets: tuple[IssuedTicket, ...]
    total_minor: int
    currency_code: str
    paid_at: datetime


@dataclass(frozen=True)
class OrderRefunded:
    order_id: UUID
    reference: str
    buyer: Buyer
    event: EventSummary
    voided_tickets: tuple[UUID, ...]
    amount_minor: int
    currency_code: str
    reason: str


@dataclass(frozen=True)
class OrderClosed:
    order_id: UUID
    customer: str
    state: str


DomainEvent = (
    EventPublished
    | EventCancelled
    | SeatsHeld
    | HoldReleased
    | HoldExpired
    | OrderConfirmed
    | OrderRefunded
    | OrderClosed
)
