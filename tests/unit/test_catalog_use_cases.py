"""Venue and event use cases on fakes, through the real composition root: ownership, idempotency,
publishing rules, visibility and search."""

from __future__ import annotations

import pytest

from apextick_platform.errors import DomainError, ErrorCode
from apextick_platform.identity import Principal, Role
from booking.domain import venue as venue_domain
from booking.domain.event import EventStatus
from booking.domain.events import EventPublished
from booking.domain.pricing import PriceTier
from booking.domain.venue import GridLayout, SectionLayout
from booking.service_layer.ports import EventQuery
from tests.unit.fake_container import assemble
from tests.use_case_support import ORGANIZER, VENUE, draft_event, key, published_event

RIVAL = Principal("organizer-2", frozenset({Role.ORGANIZER}))


async def test_a_retried_creation_is_the_first_venue_and_a_reused_id_is_refused() -> None:
    container, world = assemble()
    request = key("venue-1")
    first = await container.venues.create_venue(ORGANIZER, VENUE, request)
    again = await container.venues.create_venue(ORGANIZER, VENUE, request)
    assert again == first
    assert len(world.database.tables.venues) == 1
    with pytest.raises(DomainError) as reused:
        await container.venues.create_venue(ORGANIZER, VENUE, key("venue-1", b"other fields"))
    assert reused.value.code is ErrorCode.REQUEST_ID_REUSED


async def test_another_organizers_venue_and_event_are_not_found() -> None:
    container, _ = assemble()
    sale = await draft_event(container)
    layout = [SectionLayout("floor", "Floor", GridLayout(1, 1))]
    with pytest.raises(DomainError) as venue:
        await container.venues.create_seat_map(RIVAL, sale.venue_id, "Mine now", layout, key())
    assert venue.value.code is ErrorCode.VENUE_NOT_FOUND
    with pytest.raises(DomainError) as event:
        await container.events.publish_event(RIVAL, sale.event_id, key())
    assert event.value.code is ErrorCode.EVENT_NOT_FOUND


async def test_publishing_needs_a_price_for_every_seat_and_writes_nothing_when_refused() -> None:
    container, world = assemble()
    sale = await draft_event(container, rows=2, per_row=3)
    partial = PriceTier(sale.event_id, "front", "Front", 100, seat_ids=("floor-A-1",))
    await container.events.create_tier(ORGANIZER, partial, key())
    outbox_before = len(world.database.tables.outbox)
    with pytest.raises(DomainError) as incomplete:
        await container.events.publish_event(ORGANIZER, sale.event_id, key())
    assert incomplete.value.code is ErrorCode.TIERS_INCOMPLETE
    assert len(world.database.tables.outbox) == outbox_before
    assert sale.event_id not in world.database.tables.event_seats
    assert (await container.events.get_event(ORGANIZER, sale.event_id)).status is EventStatus.DRAFT


async def test_a_published_event_has_its_inventory_its_event_and_a_frozen_seat_map() -> None:
    container, world = assemble()
    sale = await published_event(container, rows=2, per_row=3)
    assert len(world.database.tables.event_seats[sale.event_id]) == 6
    published = [e.event for e in world.database.tables.outbox if isinstance(e.event, EventPublished)]
    assert [p.seat_count for p in published] == [6]
    layout = [SectionLayout("floor", "Floor", GridLayout(1, 1))]
    with pytest.raises(DomainError) as in_use:
        await container.venues.update_seat_map(
            ORGANIZER, sale.venue_id, sale.seat_map_id, "Smaller", layout, key()
        )
    assert in_use.value.code is ErrorCode.SEAT_MAP_IN_USE
    seat_map = await container.events.event_seat_map(None, sale.event_id)
    assert set(seat_map.statuses.values()) == {"AVAILABLE"}


async def test_drafts_are_invisible_to_the_public_and_search_finds_published_events() -> None:
    container, _ = assemble()
    await published_event(container)
    draft = await draft_event(container, name="Hidden")
    with pytest.raises(DomainError) as hidden:
        await container.events.get_event(None, draft.event_id)
    assert hidden.value.code is ErrorCode.EVENT_NOT_FOUND
    found = await container.events.list_events(None, EventQuery(text_terms=("rus",)), "")
    assert [e.details.display_name for e in found.items] == ["Rush Live"]
    mine = await container.events.list_events(ORGANIZER, EventQuery(organizer="me"), "")
    assert len(mine.items) == 2
    none = await container.events.list_events(None, EventQuery(city="Kandy"), "")
    assert none.items == []


async def test_a_layout_past_the_size_limit_is_refused_before_any_seat_is_built(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    container, _ = assemble()
    sale = await draft_event(container)
    built: list[int] = []
    real = venue_domain._layout_section

    def counting(index: int, spec: SectionLayout) -> object:
        built.append(index)
        return real(index, spec)

    monkeypatch.setattr(venue_domain, "_layout_section", counting)
    huge = [SectionLayout(f"s{n}", "", GridLayout(200, 500)) for n in range(100)]  # 10 million seats
    with pytest.raises(DomainError) as refused:
        await container.venues.create_seat_map(ORGANIZER, sale.venue_id, "Huge", huge, key())
    assert refused.value.code is ErrorCode.INVALID_ARGUMENT
    assert "10000000 seats exceed" in refused.value.message
    small = [SectionLayout("s", "", GridLayout(10, 10))]
    with pytest.raises(DomainError) as foreign:
        await container.venues.create_seat_map(RIVAL, sale.venue_id, "Small", small, key())
    assert foreign.value.code is ErrorCode.VENUE_NOT_FOUND
    assert built == []  # neither request built a single section
