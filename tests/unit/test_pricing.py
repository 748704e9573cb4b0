from __future__ import annotations

import uuid

import pytest

from apextick_platform.errors import DomainError, ErrorCode
from booking.domain.pricing import PriceTier, assign_tiers
from booking.domain.venue import GridLayout, SectionLayout, build_sections

EVENT = uuid.uuid4()
SEATS = [
    s
    for section in build_sections(
        [SectionLayout("main", "", grid=GridLayout(2, 3)), SectionLayout("box", "", grid=GridLayout(1, 2))]
    )
    for s in section.seats
]


def tier(tier_id: str, sections: tuple[str, ...] = (), seats: tuple[str, ...] = ()) -> PriceTier:
    return PriceTier(EVENT, tier_id, tier_id.upper(), 1000, sections, seats)


def test_seat_tiers_beat_section_tiers() -> None:
    assignment = assign_tiers(
        SEATS, [tier("std", ("main", "box")), tier("vip", seats=("main-A-1", "box-A-2"))]
    )
    assert assignment["main-A-1"] == "vip"
    assert assignment["box-A-2"] == "vip"
    assert assignment["main-B-3"] == "std"
    assert len(assignment) == len(SEATS) == 8


def test_unpriced_seats_block_publishing_and_are_named() -> None:
    with pytest.raises(DomainError) as caught:
        assign_tiers(SEATS, [tier("std", ("main",))])
    assert caught.value.code is ErrorCode.TIERS_INCOMPLETE
    assert caught.value.metadata["unpriced_seats"] == "box-A-1,box-A-2"


def test_a_seat_priced_by_two_tiers_is_a_conflict() -> None:
    with pytest.raises(DomainError) as caught:
        assign_tiers(
            SEATS, [tier("a", ("main", "box")), tier("b", seats=("box-A-1",)), tier("c", seats=("box-A-1",))]
        )
    assert caught.value.metadata["conflicting"] == "box-A-1"


def test_tiers_may_only_name_seats_and_sections_that_exist() -> None:
    tier("ok", ("main",), ("box-A-1",)).check_against(SEATS)
    with pytest.raises(DomainError) as caught:
        tier("bad", ("balcony",), ("main-Z-1",)).check_against(SEATS)
    fields = {v.field for v in caught.value.violations}
    assert fields == {"price_tier.section_ids", "price_tier.seat_ids"}
