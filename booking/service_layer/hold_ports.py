"""Ports of the hold area: the seat claim in PostgreSQL, the read cache, the per-process taken-seat view
and the after-commit seat signals."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from booking.domain.hold import ClaimRequest, EndedHold, Hold, SaleTerms, SeatStatus


class SeatClaims(Protocol):
    """PostgreSQL, the only fence: every method is one transaction with conditional updates."""

    async def sale_terms(self, event_id: UUID) -> SaleTerms | None: ...
    async def claim(self, request: ClaimRequest) -> Hold: ...
    async def get_hold(self, hold_id: UUID) -> Hold | None: ...
    async def hold_for_request(self, customer: str, request_id: str) -> Hold | None:
        """The customer's hold made by this request id, if any: a retried request's first answer."""
        ...

    async def release(self, hold_id: UUID, customer: str, request_id: str) -> EndedHold | None: ...
    async def expire(self, hold_id: UUID) -> EndedHold | None: ...
    async def expire_due(self, limit: int) -> Sequence[EndedHold]: ...
    async def end_event_holds(self, event_id: UUID) -> Sequence[EndedHold]:
        """Release every active hold of an event that no longer sells (it was cancelled)."""
        ...

    async def seat_statuses(self, event_id: UUID) -> dict[str, str]: ...


@dataclass(frozen=True)
class CachedSeats:
    """What the cache holds for an event: a full copy of its statuses (None on a miss), and how many
    seat changes have been announced for it so far."""

    statuses: dict[str, str] | None
    generation: int


class SeatStatusCache(Protocol):
    """Seat statuses per event for reads (never for claims)."""

    async def get(self, event_id: UUID) -> CachedSeats: ...
    async def put(self, event_id: UUID, statuses: dict[str, str], generation: int) -> bool:
        """Store a copy read from PostgreSQL after `get` answered `generation`. Refused (False) when a
        change was announced since: that copy may predate it, and would hide it for the cache's TTL."""
        ...


class TakenSeats(Protocol):
    """A per-process view of seats known to be taken. It may only ever say "taken"."""

    def known_taken(self, event_id: UUID, seat_ids: Sequence[str], customer: str) -> list[str]: ...


@dataclass(frozen=True)
class SeatChangeNote:
    """Seats one transaction moved to `status`, on behalf of one hold."""

    event_id: UUID
    hold_id: UUID
    seat_ids: tuple[str, ...]
    status: SeatStatus
    customer: str = ""  # who holds or bought them
    until: datetime | None = None  # HELD only: when the hold runs out (its TTL key follows)


class SeatSignals(Protocol):
    async def changed(self, note: SeatChangeNote) -> None: ...
