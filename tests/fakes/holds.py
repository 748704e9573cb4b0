"""In-memory seat claims, seat signals, status cache and taken-seat view (twins of pg_claims.py and
redis_seats.py). The decisions are the domain's own functions, as in the adapters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from uuid import UUID

from apextick_platform.errors import DomainError, ErrorCode
from booking.domain.event import EventStatus
from booking.domain.events import HoldExpired, HoldReleased, SeatsHeld
from booking.domain.hold import (
    ClaimRequest,
    EndedHold,
    Hold,
    HoldStatus,
    SaleTerms,
    check_customer_limit,
    price_claim,
    seats_not_found,
    seats_unavailable,
)
from booking.service_layer.hold_ports import CachedSeats, SeatChangeNote
from booking.service_layer.ports import Clock
from tests.fakes.tables import Database, OutboxEntry, Tables


def end_hold(
    tables: Tables, hold_id: UUID, status: HoldStatus, now_ok: bool, actor: str, request_id: str
) -> EndedHold | None:
    """End an ACTIVE hold (when `now_ok`, the adapter's SQL condition) and free the seats it still has."""
    hold = tables.holds.get(hold_id)
    if hold is None or hold.status is not HoldStatus.ACTIVE or not now_ok:
        return None
    ended = replace(hold, status=status)
    tables.holds[hold_id] = ended
    seats = tables.event_seats.get(hold.event_id, {})
    freed = []
    for seat_id in hold.seat_ids:
        row = seats.get(seat_id)
        if row is not None and row.hold_id == hold_id and row.status == "HELD":
            row.status, row.hold_id, row.holder, row.hold_expires_at = "AVAILABLE", None, None, None
            freed.append(seat_id)
    kind = HoldReleased if status is HoldStatus.RELEASED else HoldExpired
    tables.outbox.append(OutboxEntry(kind(hold.id, hold.event_id, tuple(freed)), actor, request_id))
    return EndedHold(ended, tuple(freed))


class FakeSeatClaims:
    def __init__(self, database: Database, clock: Clock) -> None:
        self._db = database
        self._clock = clock

    async def sale_terms(self, event_id: UUID) -> SaleTerms | None:
        tables = self._db.tables
        event = tables.events.get(event_id)
        if event is None:
            return None
        prices = {tier_id: tier.price_minor for (e, tier_id), tier in tables.tiers.items() if e == event_id}
        schedule, details = event.details.schedule, event.details
        return SaleTerms(
            event_id,
            event.status is not EventStatus.DRAFT,
            event.status is EventStatus.PUBLISHED,
            schedule.sale_start,
            schedule.sale_end,
            details.max_seats_per_customer,
            details.currency_code,
            prices,
        )

    async def claim(self, request: ClaimRequest) -> Hold:
        tables = self._db.tables
        seats = tables.event_seats.get(request.event_id, {})
        claimable = [
            s
            for s in request.seat_ids
            if s in seats
            and (
                seats[s].status == "AVAILABLE"
                or (seats[s].status == "HELD" and (seats[s].hold_expires_at or request.now) <= request.now)
            )
        ]
        replay = tables.hold_requests.get((request.customer, request.request_id))
        if len(claimable) < len(request.seat_ids):
            return self._explain(tables, request, replay)
        mine = {
            seat
            for seat, row in seats.items()
            if row.holder == request.customer
            and (
                row.status == "BOOKED"
                or (row.status == "HELD" and (row.hold_expires_at or request.now) > request.now)
            )
        }
        check_customer_limit(request.terms, len(mine | set(claimable)), len(claimable))
        if replay is not None:  # PostgreSQL's hold insert conflicts on (customer, request_id) here
            return self._explain(tables, request, replay)
        held = price_claim(request, {s: seats[s].tier_id for s in claimable})
        for seat in claimable:
            row = seats[seat]
            row.status, row.hold_id, row.holder, row.hold_expires_at = (
                "HELD",
                request.hold_id,
                request.customer,
                request.expires_at,
            )
        hold = Hold(
            request.hold_id,
            request.event_id,
            request.customer,
            held,
            request.terms.currency_code,
            request.expires_at,
            HoldStatus.ACTIVE,
            request.now,
        )
        tables.holds[hold.id] = hold
        tables.hold_requests[(request.customer, request.request_id)] = hold.id
        event = SeatsHeld(hold.id, hold.event_id, hold.customer, request.seat_ids, request.expires_at)
        tables.outbox.append(OutboxEntry(event, request.customer, request.request_id))
        return hold

    @staticmethod
    def _explain(tables: Tables, request: ClaimRequest, replay: UUID | None) -> Hold:
        if replay is not None:
            earlier = tables.holds[replay]
            if tuple(sorted(earlier.seat_ids)) == request.seat_ids:
                return earlier
            raise DomainError(ErrorCode.REQUEST_ID_REUSED, "this request_id was used for other seats")
        seats = tables.event_seats.get(request.event_id, {})
        missing = sorted(set(request.seat_ids) - set(seats))
        if missing:
            raise seats_not_found(missing)
        raise seats_unavailable(list(request.seat_ids))

    async def get_hold(self, hold_id: UUID) -> Hold | None:
        return self._db.tables.holds.get(hold_id)

    async def hold_for_request(self, customer: str, request_id: str) -> Hold | None:
        made = self._db.tables.hold_requests.get((customer, request_id))
        return self._db.tables.holds.get(made) if made is not None else None

    async def release(self, hold_id: UUID, customer: str, request_id: str) -> EndedHold | None:
        hold = self._db.tables.holds.get(hold_id)
        mine = hold is not None and hold.customer == customer
        return end_hold(self._db.tables, hold_id, HoldStatus.RELEASED, mine, customer, request_id)

    async def expire(self, hold_id: UUID) -> EndedHold | None:
        hold = self._db.tables.holds.get(hold_id)
        lapsed = hold is not None and hold.expires_at <= self._clock()
        return end_hold(self._db.tables, hold_id, HoldStatus.EXPIRED, lapsed, "system", "")

    async def expire_due(self, limit: int) -> Sequence[EndedHold]:
        now = self._clock()
        due = sorted(
            (
                h
                for h in self._db.tables.holds.values()
                if h.status is HoldStatus.ACTIVE and h.expires_at <= now
            ),
            key=lambda h: h.expires_at,
        )[:limit]
        ended = [end_hold(self._db.tables, h.id, HoldStatus.EXPIRED, True, "system", "") for h in due]
        return [e for e in ended if e is not None]

    async def end_event_holds(self, event_id: UUID) -> Sequence[EndedHold]:
        tables = self._db.tables
        ids = sorted(h.id for h in tables.holds.values() if h.event_id == event_id)
        ended = [end_hold(tables, i, HoldStatus.RELEASED, True, "system", "event-closed") for i in ids]
        return [e for e in ended if e is not None]

    async def seat_statuses(self, event_id: UUID) -> dict[str, str]:
        return {seat: row.status for seat, row in self._db.tables.event_seats.get(event_id, {}).items()}


class FakeSeatCache:
    """Seat statuses per event, as RedisSeatCache keeps them (an empty map is never stored, and a fill
    is refused when a change was announced since its reader's miss)."""

    def __init__(self) -> None:
        self.statuses: dict[UUID, dict[str, str]] = {}
        self.generations: dict[UUID, int] = {}

    async def get(self, event_id: UUID) -> CachedSeats:
        cached = self.statuses.get(event_id)
        return CachedSeats(dict(cached) if cached is not None else None, self.generations.get(event_id, 0))

    async def put(self, event_id: UUID, statuses: dict[str, str], generation: int) -> bool:
        if not statuses or self.generations.get(event_id, 0) != generation:
            return False
        self.statuses[event_id] = dict(statuses)
        return True


class RecordingSignals:
    """Seat signals that record every note and, like RedisSeatSignals, update the statuses of an event
    the cache already holds (a cold cache stays cold: the next read fills it from the claims)."""

    def __init__(self, cache: FakeSeatCache) -> None:
        self.notes: list[SeatChangeNote] = []
        self._cache = cache

    async def changed(self, note: SeatChangeNote) -> None:
        self.notes.append(note)
        if not note.seat_ids:
            return
        cached = self._cache.statuses.get(note.event_id)
        if cached is not None:
            cached.update(dict.fromkeys(note.seat_ids, note.status.value))
        self._cache.generations[note.event_id] = self._cache.generations.get(note.event_id, 0) + 1
