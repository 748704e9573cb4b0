"""PostgreSQL implementations of the event, price-tier and inventory stores."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Select, delete, func, insert, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from booking.adapters.bulk_rows import copy_rows, fetch_rows
from booking.adapters.orm import EventRow, EventSeatRow, PriceTierRow
from booking.domain.event import Event, EventDetails, EventStatus, Schedule
from booking.domain.pricing import PriceTier
from booking.service_layer.ports import EventQuery, SeatState


def _event(row: EventRow) -> Event:
    details = EventDetails(
        display_name=row.display_name,
        description=row.description,
        category=row.category,
        schedule=Schedule(row.starts_at, row.ends_at, row.sale_starts_at, row.sale_ends_at),
        max_seats_per_customer=row.max_seats_per_customer,
        currency_code=row.currency_code,
        refund_until_hours=row.refund_until_hours,
    )
    return Event(
        id=row.id,
        organizer=row.organizer,
        venue_id=row.venue_id,
        seat_map_id=row.seat_map_id,
        city=row.city,
        details=details,
        status=EventStatus(row.status),
        seat_count=row.seat_count,
        created_at=row.created_at,
        updated_at=row.updated_at,
        published_at=row.published_at,
        cancelled_at=row.cancelled_at,
        cancel_reason=row.cancel_reason,
    )


def _event_values(event: Event) -> dict[str, Any]:
    details = event.details
    return {
        "organizer": event.organizer,
        "venue_id": event.venue_id,
        "seat_map_id": event.seat_map_id,
        "city": event.city,
        "display_name": details.display_name,
        "description": details.description,
        "category": details.category,
        "starts_at": details.schedule.start,
        "ends_at": details.schedule.end,
        "sale_starts_at": details.schedule.sale_start,
        "sale_ends_at": details.schedule.sale_end,
        "status": event.status.value,
        "max_seats_per_customer": details.max_seats_per_customer,
        "currency_code": details.currency_code,
        "refund_until_hours": details.refund_until_hours,
        "seat_count": event.seat_count,
        "cancel_reason": event.cancel_reason,
        "created_at": event.created_at,
        "updated_at": event.updated_at,
        "published_at": event.published_at,
        "cancelled_at": event.cancelled_at,
    }


class SqlEventStore:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, event: Event) -> None:
        await self._session.execute(insert(EventRow).values(id=event.id, **_event_values(event)))

    async def get(self, event_id: UUID, *, for_update: bool = False) -> Event | None:
        query = select(EventRow).where(EventRow.id == event_id).execution_options(populate_existing=True)
        if for_update:
            # Serializes concurrent changes to one event (publish vs. cancel vs. tier edits).
            query = query.with_for_update()
        row = await self._session.scalar(query)
        return _event(row) if row else None

    async def save(self, event: Event) -> None:
        await self._session.execute(
            update(EventRow).where(EventRow.id == event.id).values(**_event_values(event))
        )

    async def query(self, query: EventQuery) -> Sequence[Event]:
        stmt = select(EventRow).order_by(EventRow.starts_at, EventRow.id).limit(query.limit)
        if query.organizer:
            stmt = stmt.where(EventRow.organizer == query.organizer)
        else:
            stmt = stmt.where(EventRow.status != EventStatus.DRAFT.value)
        if query.text_terms:
            # Prefix match on every term; terms were reduced to letters and digits, so this is no injection.
            tsquery = " & ".join(f"{term}:*" for term in query.text_terms)
            stmt = stmt.where(EventRow.search.bool_op("@@")(func.to_tsquery("simple", tsquery)))
        if query.city:
            stmt = stmt.where(func.lower(EventRow.city) == query.city.lower())
        if query.category:
            stmt = stmt.where(EventRow.category == query.category)
        if query.start_after:
            stmt = stmt.where(EventRow.starts_at >= query.start_after)
        if query.start_before:
            stmt = stmt.where(EventRow.starts_at < query.start_before)
        if query.max_price_minor is not None or query.available_only:
            stmt = stmt.where(_seat_wanted(query).exists())
        if query.after:
            stmt = stmt.where(
                tuple_(EventRow.starts_at, EventRow.id) > tuple_(query.after.sort_value, query.after.id)
            )
        rows = await self._session.scalars(stmt)
        return [_event(row) for row in rows]

    async def set_city_for_venue(self, venue_id: UUID, city: str) -> None:
        await self._session.execute(update(EventRow).where(EventRow.venue_id == venue_id).values(city=city))


def _tier(row: PriceTierRow) -> PriceTier:
    return PriceTier(
        event_id=row.event_id,
        tier_id=row.tier_id,
        display_name=row.display_name,
        price_minor=row.price_minor,
        section_ids=tuple(row.section_ids),
        seat_ids=tuple(row.seat_ids),
    )


class SqlPriceTierStore:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, tier: PriceTier) -> bool:
        """Insert unless the id is taken; tells which, so the use case can answer PRICE_TIER_EXISTS."""
        stmt = (
            pg_insert(PriceTierRow)
            .values(
                event_id=tier.event_id,
                tier_id=tier.tier_id,
                display_name=tier.display_name,
                price_minor=tier.price_minor,
                section_ids=list(tier.section_ids),
                seat_ids=list(tier.seat_ids),
            )
            .on_conflict_do_nothing()
            .returning(PriceTierRow.tier_id)
        )
        return (await self._session.scalar(stmt)) is not None

    async def get(self, event_id: UUID, tier_id: str) -> PriceTier | None:
        row = await self._session.get(PriceTierRow, (event_id, tier_id), populate_existing=True)
        return _tier(row) if row else None

    async def save(self, tier: PriceTier) -> None:
        await self._session.execute(
            update(PriceTierRow)
            .where(PriceTierRow.event_id == tier.event_id, PriceTierRow.tier_id == tier.tier_id)
            .values(
                display_name=tier.display_name,
                price_minor=tier.price_minor,
                section_ids=list(tier.section_ids),
                seat_ids=list(tier.seat_ids),
            )
        )

    async def delete(self, event_id: UUID, tier_id: str) -> None:
        await self._session.execute(
            delete(PriceTierRow).where(PriceTierRow.event_id == event_id, PriceTierRow.tier_id == tier_id)
        )

    async def list(self, event_id: UUID) -> Sequence[PriceTier]:
        rows = await self._session.scalars(
            select(PriceTierRow).where(PriceTierRow.event_id == event_id).order_by(PriceTierRow.tier_id)
        )
        return [_tier(row) for row in rows]


EVENT_SEATS = "SELECT seat_id, tier_id, status FROM event_seat WHERE event_id = %(event)s"


def _seat_wanted(query: EventQuery) -> Select[UUID]:
    """A seat of the event that the price and availability filters would accept."""
    seats = select(EventSeatRow.event_id).where(EventSeatRow.event_id == EventRow.id)
    if query.available_only:
        seats = seats.where(EventSeatRow.status == "AVAILABLE")
    if query.max_price_minor is not None:
        seats = seats.join(
            PriceTierRow,
            (PriceTierRow.event_id == EventSeatRow.event_id) & (PriceTierRow.tier_id == EventSeatRow.tier_id),
        ).where(PriceTierRow.price_minor <= query.max_price_minor)
    return seats


class SqlInventoryStore:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def create(self, event_id: UUID, tiers_by_seat: dict[str, str]) -> None:
        rows = [(event_id, seat, tier) for seat, tier in tiers_by_seat.items()]
        await copy_rows(self._session, "event_seat", ("event_id", "seat_id", "tier_id"), rows)

    async def seats(self, event_id: UUID) -> Sequence[SeatState]:
        rows = await fetch_rows(self._session, EVENT_SEATS, {"event": event_id})
        return [SeatState(seat_id, tier_id, status) for seat_id, tier_id, status in rows]
