"""Seat holds: the rules a claim must pass before PostgreSQL decides who wins."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from apextick_platform.errors import DomainError, ErrorCode


class HoldStatus(StrEnum):
    ACTIVE = "ACTIVE"
    RELEASED = "RELEASED"
    EXPIRED = "EXPIRED"
    CONVERTED = "CONVERTED"


class SeatStatus(StrEnum):
    AVAILABLE = "AVAILABLE"
    HELD = "HELD"
    BOOKED = "BOOKED"


@dataclass(frozen=True)
class HeldSeat:
    seat_id: str
    tier_id: str
    price_minor: int


@dataclass(frozen=True)
class Hold:
    id: UUID
    event_id: UUID
    customer: str
    seats: tuple[HeldSeat, ...]
    currency_code: str
    expires_at: datetime
    status: HoldStatus
    created_at: datetime

    @property
    def seat_ids(self) -> tuple[str, ...]:
        return tuple(seat.seat_id for seat in self.seats)

    @property
    def total_minor(self) -> int:
        return sum(seat.price_minor for seat in self.seats)

    def state_at(self, now: datetime) -> HoldStatus:
        """An active hold past its time is expired even before the sweeper has recorded it."""
        if self.status is HoldStatus.ACTIVE and self.expires_at <= now:
            return HoldStatus.EXPIRED
        return self.status


@dataclass(frozen=True)
class EndedHold:
    """A hold that just ended, and the seats it still had and gave back (a seat whose time had passed
    may have been taken over by a later claim already)."""

    hold: Hold
    freed: tuple[str, ...]


@dataclass(frozen=True)
class SaleTerms:
    """What a claim needs to know about its event; cached per process (it changes rarely)."""

    event_id: UUID
    visible: bool  # not a draft: drafts answer EVENT_NOT_FOUND, so their ids do not leak
    published: bool  # published and not cancelled
    sale_start: datetime
    sale_end: datetime
    max_seats_per_customer: int
    currency_code: str
    tier_prices: dict[str, int]
    queued: bool = False  # sells through a waiting room: a hold needs the queue's pass

    def on_sale_at(self, now: datetime) -> bool:
        return self.published and self.sale_start <= now < self.sale_end


@dataclass(frozen=True)
class ClaimRequest:
    hold_id: UUID
    event_id: UUID
    customer: str
    seat_ids: tuple[str, ...]  # sorted: overlapping claims lock rows in the same order
    request_id: str
    now: datetime
    expires_at: datetime
    terms: SaleTerms
    pass_id: UUID | None = None  # the queue pass this claim takes (queued events only)


def plan_claim(
    terms: SaleTerms | None,
    event_id: UUID,
    customer: str,
    seat_ids: Sequence[str],
    request_id: str,
    hold_id: UUID,
    now: datetime,
    ttl: timedelta,
) -> ClaimRequest:
    """Check everything that can be checked without PostgreSQL, and fix the lock order."""
    if terms is None or not terms.visible:
        raise DomainError(ErrorCode.EVENT_NOT_FOUND, "no such event", metadata={"event": str(event_id)})
    if not terms.on_sale_at(now):
        raise DomainError(
            ErrorCode.SALE_NOT_OPEN, "the event is not on sale", metadata={"event": str(event_id)}
        )
    if len(set(seat_ids)) != len(seat_ids) or not seat_ids:
        raise DomainError(ErrorCode.INVALID_ARGUMENT, "seat_ids must be distinct and not empty")
    if len(seat_ids) > terms.max_seats_per_customer:
        raise DomainError(
            ErrorCode.TOO_MANY_SEATS,
            f"at most {terms.max_seats_per_customer} seats per customer",
            metadata={"limit": str(terms.max_seats_per_customer), "seats": ",".join(seat_ids)},
        )
    return ClaimRequest(
        hold_id=hold_id,
        event_id=event_id,
        customer=customer,
        seat_ids=tuple(sorted(seat_ids)),
        request_id=request_id,
        now=now,
        expires_at=now + ttl,
        terms=terms,
    )


def price_claim(request: ClaimRequest, tier_of: Mapping[str, str]) -> tuple[HeldSeat, ...]:
    """The claimed seats at their tiers' prices, in the request's seat order. Prices come from the
    event's terms on the server, never from the client; `tier_of` is what the seat rows say."""
    prices = request.terms.tier_prices
    return tuple(HeldSeat(seat, tier_of[seat], prices.get(tier_of[seat], 0)) for seat in request.seat_ids)


def check_customer_limit(terms: SaleTerms, held_with_claim: int, claimed: int) -> None:
    """`held_with_claim` counts the customer's live seats in the event including this claim's, read
    under the customer's row lock (so two of their claims cannot both see room)."""
    limit = terms.max_seats_per_customer
    if held_with_claim > limit:
        raise DomainError(
            ErrorCode.SEAT_LIMIT_REACHED,
            f"at most {limit} seats per customer for this event",
            metadata={"limit": str(limit), "held": str(held_with_claim - claimed)},
        )


def seats_unavailable(seat_ids: Sequence[str]) -> DomainError:
    return DomainError(
        ErrorCode.SEAT_UNAVAILABLE, "seats are no longer available", metadata={"seats": ",".join(seat_ids)}
    )


def seats_not_found(seat_ids: Sequence[str]) -> DomainError:
    return DomainError(
        ErrorCode.SEAT_NOT_FOUND, "no such seats in this event", metadata={"seats": ",".join(seat_ids)}
    )


def hold_not_found(hold_id: UUID | str) -> DomainError:
    return DomainError(ErrorCode.HOLD_NOT_FOUND, "no such hold", metadata={"hold": str(hold_id)})
