"""Use cases for venues and seat maps."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, replace
from uuid import UUID

from apextick_platform.errors import DomainError, ErrorCode
from apextick_platform.identity import Principal
from booking.domain.venue import (
    SeatMap,
    SeatMapSummary,
    SectionLayout,
    Venue,
    build_sections,
    check_layout_size,
)
from booking.service_layer import paging
from booking.service_layer.idempotency import RequestKey, run_once
from booking.service_layer.paging import Page
from booking.service_layer.ports import Clock, Cursor, IdFactory, UnitOfWork, UnitOfWorkFactory

VENUE_FIELDS = frozenset({"display_name", "address", "city", "country_code", "time_zone"})


@dataclass(frozen=True)
class VenueFields:
    display_name: str
    address: str
    city: str
    country_code: str
    time_zone: str


MAX_SEAT_MAPS = 100  # per venue in one answer: layouts are few per venue


def venue_not_found(venue_id: UUID | str) -> DomainError:
    return DomainError(ErrorCode.VENUE_NOT_FOUND, "no such venue", metadata={"venue": str(venue_id)})


def seat_map_not_found(seat_map_id: UUID | str) -> DomainError:
    return DomainError(
        ErrorCode.SEAT_MAP_NOT_FOUND, "no such seat map", metadata={"seat_map": str(seat_map_id)}
    )


async def owned_venue(uow: UnitOfWork, principal: Principal, venue_id: UUID) -> Venue:
    """The venue if the caller manages it; NOT_FOUND otherwise, so others' ids do not leak."""
    venue = await uow.venues.get(venue_id)
    if venue is None or not principal.can_manage(venue.owner):
        raise venue_not_found(venue_id)
    return venue


async def seat_map_of(uow: UnitOfWork, venue_id: UUID, seat_map_id: UUID) -> SeatMap:
    seat_map = await uow.seat_maps.get(seat_map_id)
    if seat_map is None or seat_map.venue_id != venue_id:
        raise seat_map_not_found(seat_map_id)
    return seat_map


class VenueUseCases:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, new_id: IdFactory) -> None:
        self._uow = uow
        self._clock = clock
        self._new_id = new_id

    async def create_venue(self, principal: Principal, fields: VenueFields, request: RequestKey) -> Venue:
        async with self._uow() as uow:

            async def create() -> str:
                now = self._clock()
                venue = Venue(
                    self._new_id(), principal.subject, **vars(fields), created_at=now, updated_at=now
                )
                venue.check()
                await uow.venues.add(venue)
                return str(venue.id)

            venue_id = UUID(await run_once(uow, principal, "CreateVenue", request, create))
            venue = await uow.venues.get(venue_id)
            await uow.commit()
        if venue is None:  # pragma: no cover - the row was written in this transaction
            raise venue_not_found(venue_id)
        return venue

    async def update_venue(
        self, principal: Principal, venue_id: UUID, fields: VenueFields, mask: set[str], request: RequestKey
    ) -> Venue:
        unknown = mask - VENUE_FIELDS
        if unknown:
            raise DomainError(
                ErrorCode.INVALID_ARGUMENT, f"update_mask names unknown fields: {sorted(unknown)}"
            )
        changed = mask or set(VENUE_FIELDS)
        async with self._uow() as uow:

            async def update() -> str:
                venue = await owned_venue(uow, principal, venue_id)
                updated = replace(venue, **{f: getattr(fields, f) for f in changed}, updated_at=self._clock())
                updated.check()
                await uow.venues.save(updated)
                if updated.city != venue.city:
                    await uow.events.set_city_for_venue(venue_id, updated.city)
                return str(venue_id)

            await run_once(uow, principal, "UpdateVenue", request, update)
            venue = await owned_venue(uow, principal, venue_id)
            await uow.commit()
        return venue

    async def get_venue(self, venue_id: UUID) -> Venue:
        async with self._uow() as uow:
            venue = await uow.venues.get(venue_id)
        if venue is None:
            raise venue_not_found(venue_id)
        return venue

    async def list_venues(self, requested_size: int, token: str) -> Page[Venue]:
        query = paging.query_hash("venues")
        after = paging.decode(token, query)
        limit = paging.page_size(requested_size)
        async with self._uow() as uow:
            venues = await uow.venues.page(after, limit + 1)
        return paging.cut(venues, limit, lambda v: Cursor(v.created_at, v.id), query)

    async def create_seat_map(
        self,
        principal: Principal,
        venue_id: UUID,
        display_name: str,
        layout: Sequence[SectionLayout],
        request: RequestKey,
    ) -> SeatMap:
        check_layout_size(layout)  # bounded before anything: ownership, then the (bounded) layout work
        async with self._uow() as uow:

            async def create() -> str:
                await owned_venue(uow, principal, venue_id)
                sections = await asyncio.to_thread(build_sections, layout)  # up to 50,000 seats
                now = self._clock()
                seat_map = SeatMap(self._new_id(), venue_id, display_name, sections, now, now)
                await uow.seat_maps.add(seat_map)
                return str(seat_map.id)

            seat_map_id = UUID(await run_once(uow, principal, "CreateSeatMap", request, create))
            seat_map = await seat_map_of(uow, venue_id, seat_map_id)
            await uow.commit()
        return seat_map

    async def update_seat_map(
        self,
        principal: Principal,
        venue_id: UUID,
        seat_map_id: UUID,
        display_name: str,
        layout: Sequence[SectionLayout],
        request: RequestKey,
    ) -> SeatMap:
        check_layout_size(layout)
        async with self._uow() as uow:

            async def update() -> str:
                await owned_venue(uow, principal, venue_id)
                sections = await asyncio.to_thread(build_sections, layout)
                seat_map = await seat_map_of(uow, venue_id, seat_map_id)
                if await uow.seat_maps.used_by_published_event(seat_map_id):
                    raise DomainError(ErrorCode.SEAT_MAP_IN_USE, "a published event sells this seat map")
                changed = replace(
                    seat_map, display_name=display_name, sections=sections, updated_at=self._clock()
                )
                await uow.seat_maps.replace(changed)
                return str(seat_map_id)

            await run_once(uow, principal, "UpdateSeatMap", request, update)
            seat_map = await seat_map_of(uow, venue_id, seat_map_id)
            await uow.commit()
        return seat_map

    async def list_seat_maps(self, venue_id: UUID) -> Sequence[SeatMapSummary]:
        """A venue's seat maps, oldest first, without their seats (GetSeatMap has those)."""
        async with self._uow() as uow:
            if await uow.venues.get(venue_id) is None:
                raise venue_not_found(venue_id)
            return await uow.seat_maps.of_venue(venue_id, MAX_SEAT_MAPS)

    async def get_seat_map(self, venue_id: UUID, seat_map_id: UUID) -> SeatMap:
        async with self._uow() as uow:
            return await seat_map_of(uow, venue_id, seat_map_id)
