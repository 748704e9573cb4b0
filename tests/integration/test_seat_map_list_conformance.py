"""A venue's seat maps, listed alike by the in-memory fake and PostgreSQL: oldest first, counted, and
only the venue's own."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from apextick_platform.errors import DomainError, ErrorCode
from booking.domain.venue import GridLayout, SectionLayout
from tests.integration.port_twins import Twin
from tests.integration.test_port_conformance import twin
from tests.use_case_support import ORGANIZER, VENUE, key

pytestmark = pytest.mark.integration
__all__ = ["twin"]


async def test_a_venue_lists_its_own_seat_maps_with_their_counts(twin: Twin) -> None:
    venues = twin.container.venues
    venue = await venues.create_venue(ORGANIZER, VENUE, key())
    other = await venues.create_venue(ORGANIZER, VENUE, key())
    small = [SectionLayout("floor", "Floor", GridLayout(2, 5))]
    large = [
        SectionLayout("floor", "Floor", GridLayout(4, 10)),
        SectionLayout("loge", "Loge", GridLayout(1, 6)),
    ]
    first = await venues.create_seat_map(ORGANIZER, venue.id, "Small", small, key())
    twin.clock.advance(timedelta(seconds=1))  # created in order, listed in order
    second = await venues.create_seat_map(ORGANIZER, venue.id, "Large", large, key())
    await venues.create_seat_map(ORGANIZER, other.id, "Elsewhere", small, key())
    listed = await venues.list_seat_maps(venue.id)
    assert [(s.id, s.display_name, s.seat_count) for s in listed] == [
        (first.id, "Small", 10),
        (second.id, "Large", 46),
    ]
    with pytest.raises(DomainError) as missing:
        await venues.list_seat_maps(uuid.uuid4())
    assert missing.value.code is ErrorCode.VENUE_NOT_FOUND
