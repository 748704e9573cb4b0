"""Price tiers and the rule that every seat on sale has exactly one price."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from uuid import UUID

from apextick_platform.errors import DomainError, ErrorCode, FieldViolation, require
from booking.domain.venue import Seat

MAX_REPORTED = 20  # seats named in an error: enough to act on, short enough to read


@dataclass
class PriceTier:
    event_id: UUID
    tier_id: str
    display_name: str
    price_minor: int
    section_ids: tuple[str, ...] = ()
    seat_ids: tuple[str, ...] = ()

    def check_against(self, seats: Sequence[Seat]) -> None:
        """A tier has a name, and every section and seat it names exists in the event's seat map."""
        require({"price_tier.display_name": self.display_name})
        known_sections = {seat.section_id for seat in seats}
        known_seats = {seat.seat_id for seat in seats}
        problems = [
            FieldViolation("price_tier.section_ids", f"unknown section {s}")
            for s in self.section_ids
            if s not in known_sections
        ] + [
            FieldViolation("price_tier.seat_ids", f"unknown seat {s}")
            for s in self.seat_ids
            if s not in known_seats
        ]
        if problems:
            raise DomainError(
                ErrorCode.INVALID_ARGUMENT,
                "the tier names seats or sections the seat map does not have",
                violations=problems[:MAX_REPORTED],
            )


def assign_tiers(seats: Iterable[Seat], tiers: Sequence[PriceTier]) -> dict[str, str]:
    """Map each seat id to its tier id. A seat tier beats a section tier; two tiers claiming the
    same seat at the same level, or a seat with no tier, is an error (TIERS_INCOMPLETE)."""
    by_seat: dict[str, str] = {}
    by_section: dict[str, str] = {}
    conflicts: list[str] = []
    for tier in tiers:
        conflicts += [sid for sid in tier.seat_ids if by_seat.setdefault(sid, tier.tier_id) != tier.tier_id]
        conflicts += [s for s in tier.section_ids if by_section.setdefault(s, tier.tier_id) != tier.tier_id]
    assigned: dict[str, str] = {}
    unpriced: list[str] = []
    for seat in seats:
        tier_id = by_seat.get(seat.seat_id) or by_section.get(seat.section_id)
        if tier_id is None:
            unpriced.append(seat.seat_id)
        else:
            assigned[seat.seat_id] = tier_id
    if conflicts or unpriced:
        raise DomainError(
            ErrorCode.TIERS_INCOMPLETE,
            f"{len(unpriced)} seats have no price tier and {len(conflicts)} are priced twice",
            metadata={
                "unpriced_seats": ",".join(unpriced[:MAX_REPORTED]),
                "conflicting": ",".join(conflicts[:MAX_REPORTED]),
            },
        )
    return assigned
