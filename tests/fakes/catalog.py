"""In-memory unit of work and catalog stores (the twins of adapters/unit_of_work.py and sql_*.py)."""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from types import TracebackType
from typing import Self
from uuid import UUID

from booking.domain.event import Event, EventStatus
from booking.domain.events import DomainEvent
from booking.domain.pricing import PriceTier
from booking.domain.venue import SeatMap, SeatMapSummary, Venue
from booking.service_layer.ports import Cursor, EventQuery, IdempotencyKey, Replay, SeatState
from tests.fakes.tables import Database, OutboxEntry, SeatRow, Tables

_WORD = re.compile(r"[a-z0-9]+")


class FakeVenues:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def add(self, venue: Venue) -> None:
        self._t.venues[venue.id] = copy.deepcopy(venue)

    async def get(self, venue_id: UUID) -> Venue | None:
        venue = self._t.venues.get(venue_id)
        return copy.deepcopy(venue) if venue else None

    async def save(self, venue: Venue) -> None:
        self._t.venues[venue.id] = copy.deepcopy(venue)

    async def page(self, after: Cursor | None, limit: int) -> Sequence[Venue]:
        venues = sorted(self._t.venues.values(), key=lambda v: (v.created_at, v.id), reverse=True)
        if after is not None:
            venues = [v for v in venues if (v.created_at, v.id) < (after.sort_value, after.id)]
        return [copy.deepcopy(v) for v in venues[:limit]]


class FakeSeatMaps:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def add(self, seat_map: SeatMap) -> None:
        self._t.seat_maps[seat_map.id] = seat_map

    async def get(self, seat_map_id: UUID) -> SeatMap | None:
        return self._t.seat_maps.get(seat_map_id)

    async def replace(self, seat_map: SeatMap) -> None:
        self._t.seat_maps[seat_map.id] = seat_map

    async def of_venue(self, venue_id: UUID, limit: int) -> Sequence[SeatMapSummary]:
        maps = sorted(
            (m for m in self._t.seat_maps.values() if m.venue_id == venue_id),
            key=lambda m: (m.created_at, m.id),
        )
        return [SeatMapSummary(m.id, m.venue_id, m.display_name, m.seat_count, m.created_at, m.updated_at)
                for m in maps[:limit]]  # fmt: skip

    async def used_by_published_event(self, seat_map_id: UUID) -> bool:
        return any(
            e.seat_map_id == seat_map_id and e.status is not EventStatus.DRAFT
            for e in self._t.events.values()
        )


def _has_wanted_seat(event: Event, query: EventQuery, tables: Tables) -> bool:
    for row in tables.event_seats.get(event.id, {}).values():
        tier = tables.tiers.get((event.id, row.tier_id))
        priced = query.max_price_minor is None or (
            tier is not None and tier.price_minor <= query.max_price_minor
        )
        if priced and (not query.available_only or row.status == "AVAILABLE"):
            return True
    return False


def _matches(event: Event, query: EventQuery, tables: Tables) -> bool:
    """The filters of SqlEventStore.query, one condition each (the text search is a prefix match on
    every term, as PostgreSQL's `simple` tsquery with `:*` does it)."""
    details, start = event.details, event.details.schedule.start
    words = _WORD.findall(
        f"{details.display_name} {details.description} {details.category} {event.city}".lower()
    )
    conditions = (
        event.organizer == query.organizer if query.organizer else event.status is not EventStatus.DRAFT,
        all(any(word.startswith(term) for word in words) for term in query.text_terms),
        not query.city or event.city.lower() == query.city.lower(),
        not query.category or details.category == query.category,
        query.start_after is None or start >= query.start_after,
        query.start_before is None or start < query.start_before,
        (query.max_price_minor is None and not query.available_only)
        or _has_wanted_seat(event, query, tables),
    )
    return all(conditions)


class FakeEvents:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def add(self, event: Event) -> None:
        self._t.events[event.id] = copy.deepcopy(event)

    async def get(self, event_id: UUID, *, for_update: bool = False) -> Event | None:
        event = self._t.events.get(event_id)
        return copy.deepcopy(event) if event else None

    async def save(self, event: Event) -> None:
        self._t.events[event.id] = copy.deepcopy(event)

    async def query(self, query: EventQuery) -> Sequence[Event]:
        found = sorted(
            (e for e in self._t.events.values() if _matches(e, query, self._t)),
            key=lambda e: (e.details.schedule.start, e.id),
        )
        if query.after is not None:
            cursor = (query.after.sort_value, query.after.id)
            found = [e for e in found if (e.details.schedule.start, e.id) > cursor]
        return [copy.deepcopy(e) for e in found[: query.limit]]

    async def set_city_for_venue(self, venue_id: UUID, city: str) -> None:
        for event in self._t.events.values():
            if event.venue_id == venue_id:
                event.city = city


class FakeTiers:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def add(self, tier: PriceTier) -> bool:
        key = (tier.event_id, tier.tier_id)
        if key in self._t.tiers:
            return False
        self._t.tiers[key] = copy.deepcopy(tier)
        return True

    async def get(self, event_id: UUID, tier_id: str) -> PriceTier | None:
        tier = self._t.tiers.get((event_id, tier_id))
        return copy.deepcopy(tier) if tier else None

    async def save(self, tier: PriceTier) -> None:
        self._t.tiers[(tier.event_id, tier.tier_id)] = copy.deepcopy(tier)

    async def delete(self, event_id: UUID, tier_id: str) -> None:
        self._t.tiers.pop((event_id, tier_id), None)

    async def list(self, event_id: UUID) -> Sequence[PriceTier]:
        tiers = [t for (e, _), t in self._t.tiers.items() if e == event_id]
        return [copy.deepcopy(t) for t in sorted(tiers, key=lambda t: t.tier_id)]


class FakeInventory:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def create(self, event_id: UUID, tiers_by_seat: dict[str, str]) -> None:
        seats = self._t.event_seats.setdefault(event_id, {})
        for seat, tier in tiers_by_seat.items():
            seats[seat] = SeatRow(tier)

    async def seats(self, event_id: UUID) -> Sequence[SeatState]:
        rows = self._t.event_seats.get(event_id, {})
        return [SeatState(seat, row.tier_id, row.status) for seat, row in rows.items()]


class FakeOutbox:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def add(self, event: DomainEvent, *, actor: str, request_id: str) -> None:
        self._t.outbox.append(OutboxEntry(event, actor, request_id))


class FakeIdempotency:
    def __init__(self, tables: Tables) -> None:
        self._t = tables

    async def begin(self, key: IdempotencyKey, fingerprint: bytes) -> Replay | None:
        row = (key.subject, key.operation, key.request_id)
        if row in self._t.idempotency:
            stored, result = self._t.idempotency[row]
            return Replay(stored, result)
        self._t.idempotency[row] = (fingerprint, "")
        return None

    async def finish(self, key: IdempotencyKey, result: str) -> None:
        row = (key.subject, key.operation, key.request_id)
        self._t.idempotency[row] = (self._t.idempotency[row][0], result)


class FakeUnitOfWork:
    """Works on a copy of the tables; commit publishes the copy, leaving without commit drops it. (No
    other change may land while a block is open: the unit tests run one step at a time.)"""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._work: Tables | None = None

    async def __aenter__(self) -> Self:
        self._work = copy.deepcopy(self._database.tables)
        work = self._work
        self.venues = FakeVenues(work)
        self.seat_maps = FakeSeatMaps(work)
        self.events = FakeEvents(work)
        self.tiers = FakeTiers(work)
        self.inventory = FakeInventory(work)
        self.outbox = FakeOutbox(work)
        self.idempotency = FakeIdempotency(work)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._work = None

    async def commit(self) -> None:
        assert self._work is not None
        self._database.tables = self._work
        self._work = copy.deepcopy(self._work)  # later writes in this block no longer reach the database
