"""Use cases of the flash-sale hot path: hold, read, release and expire seats."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from uuid import UUID

from apextick_platform.errors import DomainError, ErrorCode
from apextick_platform.identity import Principal
from booking.domain.hold import (
    Hold,
    HoldStatus,
    SaleTerms,
    hold_not_found,
    plan_claim,
    seats_unavailable,
)
from booking.service_layer.hold_ports import SeatClaims, SeatSignals, SeatStatusCache, TakenSeats
from booking.service_layer.ports import Clock, IdFactory
from booking.service_layer.seat_signals import freed, held, send_after_commit

log = logging.getLogger(__name__)

# The waiting room's check of a pass (WaitingRoomUseCases.admission): returns the pass's id, or raises.
AdmissionCheck = Callable[[Principal, UUID, str], UUID]


def no_queue(_principal: Principal, _event_id: UUID, _token: str) -> UUID:
    """For a composition without a waiting room: a queued event's holds are refused."""
    raise DomainError(ErrorCode.QUEUE_PASS_REQUIRED, "this event's sale goes through its waiting room")


class SaleTermsCache:
    """Sale terms per event, kept for a few seconds: every claim needs them and they rarely change.
    A stale entry can only delay a sale opening or closing by the TTL; PostgreSQL still decides seats."""

    def __init__(self, claims: SeatClaims, ttl_seconds: float = 2.0) -> None:
        self._claims = claims
        self._ttl = ttl_seconds
        self._entries: dict[UUID, tuple[float, SaleTerms | None]] = {}

    async def get(self, event_id: UUID) -> SaleTerms | None:
        entry = self._entries.get(event_id)
        now = time.monotonic()
        if entry is not None and entry[0] > now:
            return entry[1]
        terms = await self._claims.sale_terms(event_id)
        self._entries[event_id] = (now + self._ttl, terms)
        return terms


class HoldUseCases:
    def __init__(
        self,
        claims: SeatClaims,
        signals: SeatSignals,
        taken: TakenSeats | None,
        cache: SeatStatusCache,
        clock: Clock,
        new_id: IdFactory,
        hold_ttl: timedelta,
        admission: AdmissionCheck = no_queue,
    ) -> None:
        self._claims = claims
        self._admission = admission
        self._cache = cache
        self._terms = SaleTermsCache(claims)
        self._signals = signals
        self._taken = taken
        self._clock = clock
        self._new_id = new_id
        self._ttl = hold_ttl

    async def hold_seats(
        self,
        principal: Principal,
        event_id: UUID,
        seat_ids: Sequence[str],
        request_id: str,
        queue_pass: str = "",
    ) -> Hold:
        now = self._clock()
        terms = await self._terms.get(event_id)
        request = plan_claim(
            terms, event_id, principal.subject, seat_ids, request_id, self._new_id(), now, self._ttl
        )
        if request.terms.queued:  # the claim takes the pass in its own transaction, once
            pass_id = self._admission(principal, event_id, queue_pass)
            request = dataclasses.replace(request, pass_id=pass_id)
        if self._taken is not None:
            taken = self._taken.known_taken(event_id, request.seat_ids, principal.subject)
            if taken:
                raise seats_unavailable(taken)  # a cheap "no" for losers; "yes" is PostgreSQL's alone
        hold = await self._claims.claim(request)
        if hold.id == request.hold_id:  # a new claim, not the replay of an earlier one
            await send_after_commit(self._signals, [held(hold)])
        return hold

    async def get_hold(self, principal: Principal, hold_id: UUID) -> Hold:
        hold = await self._claims.get_hold(hold_id)
        if hold is None or not principal.can_manage(hold.customer):
            raise hold_not_found(hold_id)
        return hold

    async def release_hold(self, principal: Principal, hold_id: UUID, request_id: str) -> Hold:
        """Releasing twice answers the released hold again; an expired or paid hold cannot be released."""
        current = await self.get_hold(principal, hold_id)
        if current.status is HoldStatus.RELEASED:
            return current
        released = await self._claims.release(hold_id, current.customer, request_id)
        if released is None:
            latest = await self.get_hold(principal, hold_id)
            if latest.status is HoldStatus.RELEASED:
                return latest
            state = latest.state_at(self._clock()).value.lower()
            raise DomainError(ErrorCode.HOLD_NOT_ACTIVE, f"the hold is {state}", metadata={"state": state})
        await send_after_commit(self._signals, [freed(released)])
        return released.hold

    async def expire_hold(self, hold_id: UUID) -> Hold | None:
        """Called on a Redis expiry event. PostgreSQL's expiry time decides: an early or duplicate
        event releases nothing."""
        expired = await self._claims.expire(hold_id)
        if expired is None:
            return None
        await send_after_commit(self._signals, [freed(expired)])
        return expired.hold

    async def sweep(self, batch: int = 500) -> int:
        """Release every hold past its time, whatever happened to its Redis key."""
        total = 0
        while True:
            expired = await self._claims.expire_due(batch)
            await send_after_commit(self._signals, [freed(ended) for ended in expired])
            total += len(expired)
            if len(expired) < batch:
                return total

    async def end_event_holds(self, event_id: UUID) -> int:
        """An event stopped selling (cancelled): its holds end and their seats are announced free."""
        ended = await self._claims.end_event_holds(event_id)
        await send_after_commit(self._signals, [freed(e) for e in ended])
        return len(ended)

    async def seat_statuses(self, event_id: UUID) -> dict[str, str]:
        """Every seat's status, from the cache when it has them. Unknown or draft events: NOT_FOUND."""
        cached = await self._cache.get(event_id)
        if cached.statuses is not None:
            return cached.statuses
        statuses = await self._claims.seat_statuses(event_id)
        if not statuses:
            raise DomainError(ErrorCode.EVENT_NOT_FOUND, "no such event", metadata={"event": str(event_id)})
        await self._cache.put(event_id, statuses, cached.generation)  # refused if a change came meanwhile
        return statuses
