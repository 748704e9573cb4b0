"""Ports of the organizer's sales view: read-only figures and attendees of one event."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from booking.service_layer.ports import Cursor


@dataclass(frozen=True)
class Revenue:
    currency_code: str
    gross_minor: int
    refunded_minor: int

    @property
    def net_minor(self) -> int:
        return self.gross_minor - self.refunded_minor


@dataclass(frozen=True)
class SellThrough:
    id: str
    seats: int
    sold: int
    held: int


@dataclass(frozen=True)
class Minute:
    minute: datetime
    holds: int
    paid: int


@dataclass(frozen=True)
class Dashboard:
    revenue: tuple[Revenue, ...]
    tiers: tuple[SellThrough, ...]
    sections: tuple[SellThrough, ...]
    holds_in_flight: int
    seats_in_flight: int
    funnel: tuple[int, int, int, int]  # holds, checkouts, paid, admitted
    per_minute: tuple[Minute, ...]
    scan_conflicts: int


@dataclass(frozen=True)
class Attendee:
    ticket_id: UUID
    seat_id: str
    tier_id: str
    order_id: UUID
    order_reference: str
    customer_name: str
    customer_email: str
    state: str
    issued_at: datetime
    admitted_at: datetime | None


class SalesReport(Protocol):
    async def event_owner(self, event_id: UUID) -> str | None: ...
    async def dashboard(self, event_id: UUID, now: datetime) -> Dashboard: ...
    async def attendees(
        self, event_id: UUID, query: str, after: Cursor | None, limit: int
    ) -> Sequence[Attendee]:
        """Newest first; `query` matches name, email, order reference or seat id, case-insensitive."""
        ...
