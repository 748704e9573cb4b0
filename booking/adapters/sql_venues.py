"""PostgreSQL implementations of the venue and seat-map stores."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import delete, exists, insert, select, text, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from booking.adapters.bulk_rows import copy_rows, fetch_rows
from booking.adapters.orm import EventRow, SeatMapRow, SeatMapSectionRow, SeatRow, VenueRow
from booking.domain.event import EventStatus
from booking.domain.venue import Seat, SeatMap, SeatMapSummary, Section, Venue
from booking.service_layer.ports import Cursor

VENUE_COLUMNS = ("display_name", "address", "city", "country_code", "time_zone", "updated_at")


def _venue(row: VenueRow) -> Venue:
    return Venue(
        id=row.id,
        owner=row.owner,
        display_name=row.display_name,
        address=row.address,
        city=row.city,
        country_code=row.country_code,
        time_zone=row.time_zone,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class SqlVenueStore:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, venue: Venue) -> None:
        await self._session.execute(insert(VenueRow).values(**vars(venue)))

    async def get(self, venue_id: UUID) -> Venue | None:
        row = await self._session.get(VenueRow, venue_id, populate_existing=True)
        return _venue(row) if row else None

    async def save(self, venue: Venue) -> None:
        values = {column: getattr(venue, column) for column in VENUE_COLUMNS}
        await self._session.execute(update(VenueRow).where(VenueRow.id == venue.id).values(**values))

    async def page(self, after: Cursor | None, limit: int) -> Sequence[Venue]:
        query = select(VenueRow).order_by(VenueRow.created_at.desc(), VenueRow.id.desc()).limit(limit)
        if after is not None:
            query = query.where(tuple_(VenueRow.created_at, VenueRow.id) < tuple_(after.sort_value, after.id))
        rows = await self._session.scalars(query)
        return [_venue(row) for row in rows]


SEAT_COLUMNS = (
    "seat_map_id",
    "seat_id",
    "section_id",
    "row_label",
    "number",
    "x",
    "y",
    "accessible",
    "ordinal",
)
SEATS_OF_MAP = """
SELECT seat_id, section_id, row_label, number, x, y, accessible FROM seat
WHERE seat_map_id = %(seat_map)s ORDER BY ordinal
"""


def _layout(sections: Sequence[tuple[str, str]], rows: Sequence[tuple[Any, ...]]) -> tuple[Section, ...]:
    """Seats by section, in map order (runs in a worker thread: a map may have 50,000 seats)."""
    by_section: dict[str, list[Seat]] = {}
    for row in rows:
        by_section.setdefault(row[1], []).append(Seat(*row))
    return tuple(
        Section(section_id, name, tuple(by_section.get(section_id, []))) for section_id, name in sections
    )


SEAT_MAPS_OF_VENUE = """
SELECT m.id, m.venue_id, m.display_name, (SELECT count(*) FROM seat s WHERE s.seat_map_id = m.id),
       m.created_at, m.updated_at
FROM seat_map m WHERE m.venue_id = :venue ORDER BY m.created_at, m.id LIMIT :limit
"""


class SqlSeatMapStore:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, seat_map: SeatMap) -> None:
        await self._session.execute(
            insert(SeatMapRow).values(
                id=seat_map.id,
                venue_id=seat_map.venue_id,
                display_name=seat_map.display_name,
                created_at=seat_map.created_at,
                updated_at=seat_map.updated_at,
            )
        )
        await self._insert_layout(seat_map)

    async def _insert_layout(self, seat_map: SeatMap) -> None:
        sections = [
            {
                "seat_map_id": seat_map.id,
                "section_id": s.section_id,
                "display_name": s.display_name,
                "ordinal": i,
            }
            for i, s in enumerate(seat_map.sections)
        ]
        await self._session.execute(insert(SeatMapSectionRow), sections)
        rows = [
            (seat_map.id, seat.seat_id, seat.section_id, seat.row, seat.number, seat.x, seat.y,
             seat.accessible, i)
            for i, seat in enumerate(seat_map.seats)
        ]  # fmt: skip
        await copy_rows(self._session, "seat", SEAT_COLUMNS, rows)

    async def get(self, seat_map_id: UUID) -> SeatMap | None:
        row = await self._session.get(SeatMapRow, seat_map_id, populate_existing=True)
        if row is None:
            return None
        sections = await self._session.scalars(
            select(SeatMapSectionRow)
            .where(SeatMapSectionRow.seat_map_id == seat_map_id)
            .order_by(SeatMapSectionRow.ordinal)
        )
        rows = await fetch_rows(self._session, SEATS_OF_MAP, {"seat_map": seat_map_id})
        names = [(s.section_id, s.display_name) for s in sections]
        layout = await asyncio.to_thread(_layout, names, rows)
        return SeatMap(row.id, row.venue_id, row.display_name, layout, row.created_at, row.updated_at)

    async def replace(self, seat_map: SeatMap) -> None:
        await self._session.execute(
            update(SeatMapRow)
            .where(SeatMapRow.id == seat_map.id)
            .values(display_name=seat_map.display_name, updated_at=seat_map.updated_at)
        )
        await self._session.execute(delete(SeatRow).where(SeatRow.seat_map_id == seat_map.id))
        await self._session.execute(
            delete(SeatMapSectionRow).where(SeatMapSectionRow.seat_map_id == seat_map.id)
        )
        await self._insert_layout(seat_map)

    async def of_venue(self, venue_id: UUID, limit: int) -> Sequence[SeatMapSummary]:
        rows = await self._session.execute(text(SEAT_MAPS_OF_VENUE), {"venue": venue_id, "limit": limit})
        return [SeatMapSummary(*row) for row in rows]

    async def used_by_published_event(self, seat_map_id: UUID) -> bool:
        query = select(
            exists().where(EventRow.seat_map_id == seat_map_id, EventRow.status != EventStatus.DRAFT.value)
        )
        return bool(await self._session.scalar(query))
