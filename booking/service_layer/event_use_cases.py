"""Use cases for events, price tiers and the per-event seat map."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Protocol
from uuid import UUID

from apextick_platform.errors import DomainError, ErrorCode, invalid
from apextick_platform.identity import Principal
from booking.domain.event import MUTABLE_FIELDS, Event, EventDetails, EventStatus, merge_details
from booking.domain.events import EventCancelled, EventPublished
from booking.domain.pricing import PriceTier, assign_tiers
from booking.domain.venue import SeatMap
from booking.service_layer import paging
from booking.service_layer.idempotency import RequestKey, run_once
from booking.service_layer.paging import Page
from booking.service_layer.ports import (
    Clock,
    Cursor,
    EventQuery,
    IdFactory,
    UnitOfWork,
    UnitOfWorkFactory,
)
from booking.service_layer.venue_use_cases import owned_venue, seat_map_of

TIER_FIELDS = frozenset({"display_name", "price_minor", "section_ids", "seat_ids"})
LAYOUT_CACHE_SIZE = 64


class EventSeats(Protocol):
    """The hold area as events need it: seat statuses of a published event (from the availability
    cache, PostgreSQL on a miss), and ending the holds of an event that stops selling."""

    async def seat_statuses(self, event_id: UUID) -> dict[str, str]: ...
    async def end_event_holds(self, event_id: UUID) -> int: ...


class CancellationRefunds(Protocol):
    async def refund_cancelled_event(self, event_id: UUID, *, limit: int | None = None) -> int: ...


# Refunds a cancel request makes itself before it answers; a larger house is finished by the worker's
# reconciler (every reconcile interval, BATCH orders a query), so the organizer is not kept waiting on
# thousands of provider calls and a slow provider cannot time the cancel out.
INLINE_CANCELLATION_REFUNDS = 100


@dataclass(frozen=True)
class PublishedLayout:
    """What never changes once an event is published: its seat map, tiers and tier per seat."""

    seat_map: SeatMap
    tiers: Sequence[PriceTier]
    tier_by_seat: dict[str, str]


@dataclass(frozen=True)
class EventSeatMap:
    event: Event
    seat_map: SeatMap
    tiers: Sequence[PriceTier]
    tier_by_seat: Mapping[str, str]  # empty for a draft: it has no inventory yet
    statuses: Mapping[str, str]


def event_not_found(event_id: UUID | str) -> DomainError:
    return DomainError(ErrorCode.EVENT_NOT_FOUND, "no such event", metadata={"event": str(event_id)})


def tier_not_found(tier_id: str) -> DomainError:
    return DomainError(ErrorCode.PRICE_TIER_NOT_FOUND, "no such price tier", metadata={"price_tier": tier_id})


async def visible_event(uow: UnitOfWork, principal: Principal | None, event_id: UUID) -> Event:
    event = await uow.events.get(event_id)
    if event is None or not event.visible_to(principal):
        raise event_not_found(event_id)
    return event


async def owned_event(uow: UnitOfWork, principal: Principal, event_id: UUID) -> Event:
    """The event, row-locked, if the caller manages it; NOT_FOUND otherwise so ids do not leak."""
    event = await uow.events.get(event_id, for_update=True)
    if event is None or not principal.can_manage(event.organizer):
        raise event_not_found(event_id)
    return event


class EventUseCases:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        new_id: IdFactory,
        statuses: EventSeats | None = None,
        refunds: CancellationRefunds | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._new_id = new_id
        self._statuses = statuses
        self._refunds = refunds
        self._layouts: OrderedDict[UUID, PublishedLayout] = OrderedDict()

    async def create_event(
        self,
        principal: Principal,
        venue_id: UUID,
        seat_map_id: UUID,
        details: EventDetails,
        request: RequestKey,
    ) -> Event:
        details.check()
        async with self._uow() as uow:

            async def create() -> str:
                venue = await owned_venue(uow, principal, venue_id)
                seat_map = await seat_map_of(uow, venue_id, seat_map_id)
                now = self._clock()
                event = Event(
                    id=self._new_id(),
                    organizer=principal.subject,
                    venue_id=venue.id,
                    seat_map_id=seat_map.id,
                    city=venue.city,
                    details=details,
                    status=EventStatus.DRAFT,
                    seat_count=seat_map.seat_count,
                    created_at=now,
                    updated_at=now,
                )
                await uow.events.add(event)
                return str(event.id)

            event_id = UUID(await run_once(uow, principal, "CreateEvent", request, create))
            event = await owned_event(uow, principal, event_id)
            await uow.commit()
        return event

    async def get_event(self, principal: Principal | None, event_id: UUID) -> Event:
        async with self._uow() as uow:
            return await visible_event(uow, principal, event_id)

    async def update_event(
        self,
        principal: Principal,
        event_id: UUID,
        proposed: EventDetails,
        seat_map: tuple[UUID, UUID] | None,
        mask: set[str],
        request: RequestKey,
    ) -> Event:
        unknown = mask - MUTABLE_FIELDS.keys()
        if unknown:
            raise invalid("update_mask", f"unknown or read-only fields: {sorted(unknown)}")
        fields = mask or set(MUTABLE_FIELDS)
        async with self._uow() as uow:

            async def update() -> str:
                event = await owned_event(uow, principal, event_id)
                event.update(merge_details(event.details, proposed, fields), fields, self._clock())
                if "seat_map" in fields and seat_map is not None:
                    await self._move_to_seat_map(uow, principal, event, seat_map)
                await uow.events.save(event)
                return str(event_id)

            await run_once(uow, principal, "UpdateEvent", request, update)
            event = await owned_event(uow, principal, event_id)
            await uow.commit()
        return event

    async def _move_to_seat_map(
        self, uow: UnitOfWork, principal: Principal, event: Event, seat_map: tuple[UUID, UUID]
    ) -> None:
        venue = await owned_venue(uow, principal, seat_map[0])
        target = await seat_map_of(uow, venue.id, seat_map[1])
        event.venue_id, event.seat_map_id, event.city = venue.id, target.id, venue.city
        event.seat_count = target.seat_count

    async def publish_event(self, principal: Principal, event_id: UUID, request: RequestKey) -> Event:
        async with self._uow() as uow:

            async def publish() -> str:
                event = await owned_event(uow, principal, event_id)
                event.ensure_draft()
                seat_map = await seat_map_of(uow, event.venue_id, event.seat_map_id)
                tiers = await uow.tiers.list(event_id)
                # Off the event loop: a map may have 50,000 seats.
                assignment = await asyncio.to_thread(assign_tiers, seat_map.seats, tiers)
                event.publish(len(assignment), self._clock())
                await uow.inventory.create(event_id, assignment)
                await uow.events.save(event)
                await uow.outbox.add(
                    self._published(event), actor=principal.subject, request_id=request.request_id
                )
                return str(event_id)

            await run_once(uow, principal, "PublishEvent", request, publish)
            event = await owned_event(uow, principal, event_id)
            await uow.commit()
        return event

    @staticmethod
    def _published(event: Event) -> EventPublished:
        schedule = event.details.schedule
        return EventPublished(
            event_id=event.id,
            organizer=event.organizer,
            display_name=event.details.display_name,
            seat_count=event.seat_count,
            start=schedule.start,
            sale_start=schedule.sale_start,
            sale_end=schedule.sale_end,
        )

    async def cancel_event(
        self, principal: Principal, event_id: UUID, reason: str, request: RequestKey
    ) -> Event:
        async with self._uow() as uow:

            async def cancel() -> str:
                event = await owned_event(uow, principal, event_id)
                event.cancel(reason, self._clock())
                await uow.events.save(event)
                cancelled = EventCancelled(event.id, event.organizer, reason)
                await uow.outbox.add(cancelled, actor=principal.subject, request_id=request.request_id)
                return str(event_id)

            await run_once(uow, principal, "CancelEvent", request, cancel)
            event = await owned_event(uow, principal, event_id)
            await uow.commit()
        if self._statuses is not None:
            # After the commit: the holds end on the event's new state. Claims already see the event
            # closed (within the sale-terms cache's two seconds); a hold made in that window can no
            # longer be checked out or paid for (refunded if it is), and lapses with its TTL.
            await self._statuses.end_event_holds(event_id)
        if self._refunds is not None:
            # Every paid order, each refunded once (a retried or concurrent cancel replays; the worker's
            # reconciler finishes a cancellation cut short here, or one larger than the inline bound).
            await self._refunds.refund_cancelled_event(event_id, limit=INLINE_CANCELLATION_REFUNDS)
        return event

    async def list_events(self, principal: Principal | None, query: EventQuery, token: str) -> Page[Event]:
        if query.organizer == "me":
            if principal is None:
                raise DomainError(ErrorCode.TOKEN_MISSING, "organizer=me needs a bearer token")
            query = replace(query, organizer=principal.subject)
        query_key = paging.query_hash(replace(query, after=None, limit=0))
        limit = paging.page_size(query.limit)
        query = replace(query, after=paging.decode(token, query_key), limit=limit + 1)
        async with self._uow() as uow:
            events = await uow.events.query(query)
        return paging.cut(events, limit, lambda e: Cursor(e.details.schedule.start, e.id), query_key)

    async def create_tier(
        self, principal: Principal, tier: PriceTier, request: RequestKey
    ) -> tuple[Event, PriceTier]:
        async with self._uow() as uow:

            async def create() -> str:
                event = await owned_event(uow, principal, tier.event_id)
                event.ensure_draft()
                seat_map = await seat_map_of(uow, event.venue_id, event.seat_map_id)
                tier.check_against(seat_map.seats)
                if not await uow.tiers.add(tier):
                    raise DomainError(
                        ErrorCode.PRICE_TIER_EXISTS, f"price tier {tier.tier_id} already exists"
                    )
                return tier.tier_id

            await run_once(uow, principal, "CreatePriceTier", request, create)
            event = await owned_event(uow, principal, tier.event_id)
            stored = await uow.tiers.get(tier.event_id, tier.tier_id)
            await uow.commit()
        if stored is None:  # pragma: no cover - written in this transaction
            raise tier_not_found(tier.tier_id)
        return event, stored

    async def update_tier(
        self, principal: Principal, proposed: PriceTier, mask: set[str], request: RequestKey
    ) -> tuple[Event, PriceTier]:
        unknown = mask - TIER_FIELDS
        if unknown:
            raise invalid("update_mask", f"unknown fields: {sorted(unknown)}")
        fields = mask or set(TIER_FIELDS)
        async with self._uow() as uow:

            async def update() -> str:
                event = await owned_event(uow, principal, proposed.event_id)
                event.ensure_draft()
                current = await uow.tiers.get(proposed.event_id, proposed.tier_id)
                if current is None:
                    raise tier_not_found(proposed.tier_id)
                changed = replace(current, **{f: getattr(proposed, f) for f in fields})
                seat_map = await seat_map_of(uow, event.venue_id, event.seat_map_id)
                changed.check_against(seat_map.seats)
                await uow.tiers.save(changed)
                return changed.tier_id

            await run_once(uow, principal, "UpdatePriceTier", request, update)
            event = await owned_event(uow, principal, proposed.event_id)
            stored = await uow.tiers.get(proposed.event_id, proposed.tier_id)
            await uow.commit()
        if stored is None:  # pragma: no cover - checked above in this transaction
            raise tier_not_found(proposed.tier_id)
        return event, stored

    async def delete_tier(
        self, principal: Principal, event_id: UUID, tier_id: str, request: RequestKey
    ) -> None:
        async with self._uow() as uow:

            async def delete() -> str:
                event = await owned_event(uow, principal, event_id)
                event.ensure_draft()
                if await uow.tiers.get(event_id, tier_id) is None:
                    raise tier_not_found(tier_id)
                await uow.tiers.delete(event_id, tier_id)
                return tier_id

            await run_once(uow, principal, "DeletePriceTier", request, delete)
            await uow.commit()

    async def list_tiers(
        self, principal: Principal | None, event_id: UUID
    ) -> tuple[Event, Sequence[PriceTier]]:
        async with self._uow() as uow:
            event = await visible_event(uow, principal, event_id)
            return event, await uow.tiers.list(event_id)

    async def event_seat_map(self, principal: Principal | None, event_id: UUID) -> EventSeatMap:
        """Every seat with tier and status. A published event's layout is kept in memory (it cannot
        change) and its statuses come from the availability cache, so a read of a large map costs one
        event row; a draft has no inventory yet, so its seats carry no status."""
        async with self._uow() as uow:
            event = await visible_event(uow, principal, event_id)
            if event.status is EventStatus.DRAFT or self._statuses is None:
                seat_map = await seat_map_of(uow, event.venue_id, event.seat_map_id)
                tiers = await uow.tiers.list(event_id)
                seats = await uow.inventory.seats(event_id)
                tier_by_seat = {seat.seat_id: seat.tier_id for seat in seats}
                return EventSeatMap(
                    event, seat_map, tiers, tier_by_seat, {s.seat_id: s.status for s in seats}
                )
            layout = self._layouts.get(event_id) or await self._load_layout(uow, event)
        statuses = await self._statuses.seat_statuses(event_id)
        return EventSeatMap(event, layout.seat_map, layout.tiers, layout.tier_by_seat, statuses)

    async def _load_layout(self, uow: UnitOfWork, event: Event) -> PublishedLayout:
        seat_map = await seat_map_of(uow, event.venue_id, event.seat_map_id)
        tiers = await uow.tiers.list(event.id)
        layout = PublishedLayout(
            seat_map, tiers, await asyncio.to_thread(assign_tiers, seat_map.seats, tiers)
        )
        self._layouts[event.id] = layout
        if len(self._layouts) > LAYOUT_CACHE_SIZE:
            self._layouts.popitem(last=False)
        return layout
