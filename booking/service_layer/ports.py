"""Ports: the small interfaces use cases depend on. Adapters implement them for PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self
from uuid import UUID

from booking.domain.event import Event
from booking.domain.events import DomainEvent
from booking.domain.pricing import PriceTier
from booking.domain.venue import SeatMap, SeatMapSummary, Venue


@dataclass(frozen=True)
class Cursor:
    """Keyset position: the sort value and id of the last row of the previous page."""

    sort_value: datetime
    id: UUID


@dataclass(frozen=True)
class EventQuery:
    text_terms: tuple[str, ...] = ()
    city: str = ""
    category: str = ""
    start_after: datetime | None = None
    start_before: datetime | None = None
    max_price_minor: int | None = None  # a seat priced at or under this
    available_only: bool = False  # a seat neither held nor sold (at that price, with max_price_minor)
    organizer: str = ""  # set: that organizer's events, drafts included; empty: published events only
    after: Cursor | None = None
    limit: int = 50


@dataclass(frozen=True)
class SeatState:
    seat_id: str
    tier_id: str
    status: str


@dataclass(frozen=True)
class IdempotencyKey:
    subject: str
    operation: str
    request_id: str


@dataclass(frozen=True)
class Replay:
    fingerprint: bytes
    result: str


class VenueStore(Protocol):
    async def add(self, venue: Venue) -> None: ...
    async def get(self, venue_id: UUID) -> Venue | None: ...
    async def save(self, venue: Venue) -> None: ...
    async def page(self, after: Cursor | None, limit: int) -> Sequence[Venue]: ...


class SeatMapStore(Protocol):
    async def add(self, seat_map: SeatMap) -> None: ...
    async def get(self, seat_map_id: UUID) -> SeatMap | None: ...
    async def replace(self, seat_map: SeatMap) -> None: ...
    async def used_by_published_event(self, seat_map_id: UUID) -> bool: ...
    async def of_venue(self, venue_id: UUID, limit: int) -> Sequence[SeatMapSummary]:
        """Oldest first."""
        ...


class EventStore(Protocol):
    async def add(self, event: Event) -> None: ...
    async def get(self, event_id: UUID, *, for_update: bool = False) -> Event | None: ...
    async def save(self, event: Event) -> None: ...
    async def query(self, query: EventQuery) -> Sequence[Event]: ...
    async def set_city_for_venue(self, venue_id: UUID, city: str) -> None: ...


class PriceTierStore(Protocol):
    async def add(self, tier: PriceTier) -> bool: ...
    async def get(self, event_id: UUID, tier_id: str) -> PriceTier | None: ...
    async def save(self, tier: PriceTier) -> None: ...
    async def delete(self, event_id: UUID, tier_id: str) -> None: ...
    async def list(self, event_id: UUID) -> Sequence[PriceTier]: ...


class InventoryStore(Protocol):
    async def create(self, event_id: UUID, tiers_by_seat: dict[str, str]) -> None: ...
    async def seats(self, event_id: UUID) -> Sequence[SeatState]: ...


class Outbox(Protocol):
    async def add(self, event: DomainEvent, *, actor: str, request_id: str) -> None: ...


class IdempotencyStore(Protocol):
    async def begin(self, key: IdempotencyKey, fingerprint: bytes) -> Replay | None: ...
    async def finish(self, key: IdempotencyKey, result: str) -> None: ...


class UnitOfWork(Protocol):
    """One PostgreSQL transaction. Leaving the block without ``commit`` rolls everything back."""

    @property
    def venues(self) -> VenueStore: ...
    @property
    def seat_maps(self) -> SeatMapStore: ...
    @property
    def events(self) -> EventStore: ...
    @property
    def tiers(self) -> PriceTierStore: ...
    @property
    def inventory(self) -> InventoryStore: ...
    @property
    def outbox(self) -> Outbox: ...
    @property
    def idempotency(self) -> IdempotencyStore: ...

    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...
    async def commit(self) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]
Clock = Callable[[], datetime]
IdFactory = Callable[[], UUID]
