"""The in-memory database the fakes share: one table per PostgreSQL table the ports touch."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from booking.domain.event import Event
from booking.domain.events import DomainEvent
from booking.domain.gate import GateStation
from booking.domain.hold import Hold
from booking.domain.order import Order
from booking.domain.pricing import PriceTier
from booking.domain.ticket import Ticket
from booking.domain.venue import SeatMap, Venue
from booking.service_layer.gate_ports import Conflict, ScanRecord
from booking.service_layer.payment_ports import RefundDue


@dataclass
class SeatRow:
    tier_id: str
    status: str = "AVAILABLE"
    hold_id: UUID | None = None
    holder: str | None = None
    hold_expires_at: datetime | None = None


@dataclass
class RefundRow:
    due: RefundDue
    status: str = "PENDING"
    provider_refund_id: str = ""
    attempts: int = 0
    last_error: str = ""
    updated_at: datetime | None = None
    leased_until: datetime | None = None
    requested_by: str = ""
    request_id: str = ""


@dataclass
class OutboxEntry:
    event: DomainEvent
    actor: str
    request_id: str


@dataclass
class Tables:
    venues: dict[UUID, Venue] = field(default_factory=dict)
    seat_maps: dict[UUID, SeatMap] = field(default_factory=dict)
    events: dict[UUID, Event] = field(default_factory=dict)
    tiers: dict[tuple[UUID, str], PriceTier] = field(default_factory=dict)
    event_seats: dict[UUID, dict[str, SeatRow]] = field(default_factory=dict)
    idempotency: dict[tuple[str, str, str], tuple[bytes, str]] = field(default_factory=dict)
    outbox: list[OutboxEntry] = field(default_factory=list)
    holds: dict[UUID, Hold] = field(default_factory=dict)
    hold_requests: dict[tuple[str, str], UUID] = field(default_factory=dict)
    orders: dict[UUID, Order] = field(default_factory=dict)
    order_requests: dict[tuple[str, str], UUID] = field(default_factory=dict)
    sessions_closed: set[UUID] = field(default_factory=set)
    payment_events: set[tuple[str, str]] = field(default_factory=set)
    tickets: dict[UUID, Ticket] = field(default_factory=dict)
    refunds: dict[UUID, RefundRow] = field(default_factory=dict)
    gate_stations: dict[UUID, tuple[GateStation, str, str, bytes]] = field(default_factory=dict)
    admissions: dict[UUID, tuple[str, datetime]] = field(default_factory=dict)  # ticket -> gate, time
    gate_scans: dict[UUID, ScanRecord] = field(default_factory=dict)  # by nonce
    gate_conflicts: list[tuple[UUID, Conflict]] = field(default_factory=list)  # (event, conflict)


class Database:
    """What the fakes share. A unit of work works on a copy and publishes it on commit; the raw
    paths (claims, orders, payments) change the tables directly, each call being one step with no
    await inside, which is as atomic as one PostgreSQL transaction for a single-threaded test."""

    def __init__(self) -> None:
        self.tables = Tables()
