"""HoldBestAvailable: read which seats are free, choose by the map's ranking (domain.best_available),
and claim them through HoldSeats' own path, so the claim keeps every guarantee (one transaction, the
limit, the queue pass, the outbox). Under contention a chosen seat may go first: then read again and
choose again, a few times, spreading concurrent requests over equally good choices."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Protocol
from uuid import UUID

from apextick_platform.errors import DomainError, ErrorCode
from apextick_platform.identity import Principal
from booking.domain.best_available import Layout, Place, Wish, best_singles, nearest, ranked_choices, spread
from booking.domain.hold import Hold
from booking.service_layer.hold_ports import SeatClaims, TakenSeats
from booking.service_layer.hold_use_cases import HoldUseCases

ATTEMPTS = 20  # rounds against a crowd: each round some win the width's best, the rest read again
SPREAD = 16  # how many equally good choices concurrent requests are spread over
OFFER_CANDIDATES = 4  # nearest seats looked up per seat lost (most near a contested seat go too)
LAYOUT_TTL_SECONDS = 60.0  # a published event's map does not change; tiers are set before the sale
# Remembered nearest-seat lists per event's layout (a crowd loses the same few seats over and over, and
# the list depends on the map alone); emptied when full, and with the layout when it is read again.
NEAREST_MEMO_SIZE = 10_000


class SeatLayouts(Protocol):
    async def places(self, event_id: UUID) -> Sequence[Place]: ...
    async def available(self, event_id: UUID, seat_ids: Sequence[str]) -> set[str]:
        """Which of these seats PostgreSQL has AVAILABLE now (a small indexed read)."""
        ...


def no_fit(alternatives: Sequence[str]) -> DomainError:
    return DomainError(
        ErrorCode.SEAT_UNAVAILABLE,
        "no free seats fit the request",
        metadata={"seats": "", "alternatives": ",".join(alternatives)},
    )


class BestAvailableUseCases:
    def __init__(
        self, holds: HoldUseCases, claims: SeatClaims, layouts: SeatLayouts, taken: TakenSeats | None = None
    ) -> None:
        self._holds = holds
        self._claims = claims
        self._layouts = layouts
        self._taken = taken
        self._cache: dict[UUID, tuple[float, Layout]] = {}
        self._nearest: dict[UUID, tuple[Layout, dict[tuple[str, ...], list[str]]]] = {}

    async def _layout(self, event_id: UUID) -> Layout:
        entry = self._cache.get(event_id)
        if entry is not None and entry[0] > time.monotonic():
            return entry[1]
        layout = Layout.of(await self._layouts.places(event_id))
        self._cache[event_id] = (time.monotonic() + LAYOUT_TTL_SECONDS, layout)
        return layout

    async def _candidates(self, event_id: UUID, wanted: Sequence[str]) -> list[str]:
        """`nearest` for these seats on the event's current layout, remembered."""
        layout = await self._layout(event_id)
        kept = self._nearest.get(event_id)
        if kept is None or kept[0] is not layout or len(kept[1]) >= NEAREST_MEMO_SIZE:
            kept = (layout, {})
            self._nearest[event_id] = kept
        key = tuple(wanted)
        found = kept[1].get(key)
        if found is None:
            found = kept[1][key] = nearest(layout, wanted, OFFER_CANDIDATES * len(wanted))
        return found

    async def hold_best(
        self, principal: Principal, event_id: UUID, wish: Wish, request_id: str, queue_pass: str, pick: int
    ) -> Hold:
        """`pick`: a number per request (random) that spreads concurrent requests over equal choices."""
        earlier = await self._claims.hold_for_request(principal.subject, request_id)
        if earlier is not None and earlier.event_id == event_id:
            return earlier  # a retry answers the first hold, whatever is free now
        places = (await self._layout(event_id)).places
        if not places:
            raise DomainError(ErrorCode.EVENT_NOT_FOUND, "no such event", metadata={"event": str(event_id)})
        for attempt in range(ATTEMPTS):
            free = await self._free(event_id)
            choices = ranked_choices(places, free, wish)
            if not choices:
                raise no_fit(best_singles(places, free, wish))
            choice = spread(choices, SPREAD, pick + attempt)
            try:
                return await self._holds.hold_seats(
                    principal, event_id, choice.seat_ids, request_id, queue_pass
                )
            except DomainError as lost:
                if lost.code is not ErrorCode.SEAT_UNAVAILABLE:
                    raise
        # Lost every time (a crowd on the last seats): what is free now, one by one.
        raise no_fit(best_singles(places, await self._free(event_id), wish))

    async def hold_or_offer(
        self, principal: Principal, event_id: UUID, seat_ids: Sequence[str], request_id: str, queue_pass: str
    ) -> Hold:
        """HoldSeats, whose SEAT_UNAVAILABLE also names the nearest equivalent free seats (same tier,
        nearest first)."""
        try:
            return await self._holds.hold_seats(principal, event_id, seat_ids, request_id, queue_pass)
        except DomainError as lost:
            if lost.code is not ErrorCode.SEAT_UNAVAILABLE:
                raise
            offered = await self._offer(event_id, seat_ids)
            raise DomainError(
                lost.code, lost.message, metadata={**lost.metadata, "alternatives": ",".join(offered)}
            ) from None

    async def _offer(self, event_id: UUID, wanted: Sequence[str]) -> list[str]:
        """Free as the live map's view of this process has them when it has one: a loser costs no more
        database work than before (measured: the PostgreSQL check added about 500 us of booking CPU per
        lost claim, a third of the hold path). Without the view, PostgreSQL answers. The view trails
        commits by milliseconds: a seat offered that went meanwhile loses again, with new offers."""
        candidates = await self._candidates(event_id, wanted)
        if not candidates:
            return []
        if self._taken is not None:
            gone = set(self._taken.known_taken(event_id, candidates, ""))
            return [seat for seat in candidates if seat not in gone][: len(wanted)]
        free = await self._layouts.available(event_id, candidates)
        return [seat for seat in candidates if seat in free][: len(wanted)]

    async def _free(self, event_id: UUID) -> set[str]:
        """Free seats as PostgreSQL has them now (not the cache: an offer must be true when made)."""
        statuses = await self._claims.seat_statuses(event_id)
        return {seat for seat, status in statuses.items() if status == "AVAILABLE"}
