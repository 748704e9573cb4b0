"""Driving booking's use cases as the servicers do, through a container from the real composition root:
on in-memory fakes in tests/unit, on PostgreSQL and Redis in the conformance tests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from apextick_platform.identity import Principal, Role
from booking.bootstrap import Container
from booking.domain.event import EventDetails, Schedule
from booking.domain.pricing import PriceTier
from booking.domain.venue import GridLayout, SectionLayout
from booking.service_layer.idempotency import RequestKey
from booking.service_layer.venue_use_cases import VenueFields

ORGANIZER = Principal("organizer-1", frozenset({Role.ORGANIZER}), display_name="Olu Organizer")


def customer(name: str = "") -> Principal:
    subject = name or f"customer-{uuid.uuid4().hex[:8]}"
    return Principal(
        subject, frozenset({Role.CUSTOMER}), display_name=subject, email=f"{subject}@example.test"
    )


def key(request_id: str = "", fingerprint: bytes = b"same") -> RequestKey:
    return RequestKey(request_id or uuid.uuid4().hex, fingerprint)


VENUE = VenueFields("Rosewood Hall", "1 Lake Road", "Colombo", "LK", "Asia/Colombo")


@dataclass(frozen=True)
class Sale:
    event_id: UUID
    venue_id: UUID
    seat_map_id: UUID


def seat(row: str, number: int) -> str:
    return f"floor-{row}-{number}"


async def draft_event(
    container: Container,
    *,
    rows: int = 2,
    per_row: int = 5,
    max_per_customer: int = 4,
    name: str = "Rush",
    organizer: Principal = ORGANIZER,
) -> Sale:
    now = container.clock()
    venue = await container.venues.create_venue(organizer, VENUE, key())
    layout = [SectionLayout("floor", "Floor", GridLayout(rows, per_row))]
    seat_map = await container.venues.create_seat_map(organizer, venue.id, "Main floor", layout, key())
    schedule = Schedule(now + timedelta(days=30), now + timedelta(days=30, hours=3), now - timedelta(hours=1),
                        now + timedelta(days=29))  # fmt: skip
    details = EventDetails(
        f"{name} Live", "An evening of tests", "concert", schedule, max_per_customer, "LKR"
    )
    event = await container.events.create_event(organizer, venue.id, seat_map.id, details, key())
    return Sale(event.id, venue.id, seat_map.id)


async def published_event(
    container: Container,
    *,
    price: int = 250_000,
    rows: int = 2,
    per_row: int = 5,
    max_per_customer: int = 4,
    name: str = "Rush",
    organizer: Principal = ORGANIZER,
) -> Sale:
    sale = await draft_event(
        container,
        rows=rows,
        per_row=per_row,
        max_per_customer=max_per_customer,
        name=name,
        organizer=organizer,
    )
    tier = PriceTier(sale.event_id, "standard", "Standard", price, section_ids=("floor",))
    await container.events.create_tier(organizer, tier, key())
    await container.events.publish_event(organizer, sale.event_id, key())
    return sale


def organizer() -> Principal:
    """An organizer of one's own, so queries by organizer see only this test's events."""
    return Principal(f"organizer-{uuid.uuid4().hex[:8]}", frozenset({Role.ORGANIZER}))
