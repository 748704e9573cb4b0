"""The hold use cases on fakes, through the real composition root: claims, replays, limits, releases and
expiry, and what they announce after commit."""

from __future__ import annotations

from datetime import timedelta

import pytest

from apextick_platform.errors import DomainError, ErrorCode
from booking.adapters.redis_seats import SeatChange
from booking.domain.events import HoldExpired, HoldReleased, SeatsHeld
from booking.domain.hold import HoldStatus, SeatStatus
from tests.unit.fake_container import assemble
from tests.use_case_support import customer, draft_event, published_event, seat


async def test_a_hold_takes_its_seats_at_the_servers_price_and_announces_them() -> None:
    container, world = assemble()
    sale = await published_event(container, price=300_000)
    buyer = customer()
    hold = await container.holds.hold_seats(buyer, sale.event_id, [seat("A", 2), seat("A", 1)], "r-1")
    assert hold.status is HoldStatus.ACTIVE
    assert hold.seat_ids == (seat("A", 1), seat("A", 2))  # sorted: the lock order
    assert hold.total_minor == 600_000
    assert hold.expires_at == world.clock() + timedelta(minutes=10)
    statuses = await container.holds.seat_statuses(sale.event_id)
    assert statuses[seat("A", 1)] == statuses[seat("A", 2)] == SeatStatus.HELD
    [note] = world.signals.notes
    assert (note.status, note.seat_ids, note.until) == (SeatStatus.HELD, hold.seat_ids, hold.expires_at)
    assert any(isinstance(e.event, SeatsHeld) for e in world.database.tables.outbox)


async def test_a_retried_hold_is_the_first_hold_and_is_announced_once() -> None:
    container, world = assemble()
    sale = await published_event(container)
    buyer = customer()
    first = await container.holds.hold_seats(buyer, sale.event_id, [seat("A", 1)], "same")
    again = await container.holds.hold_seats(buyer, sale.event_id, [seat("A", 1)], "same")
    assert again == first
    assert len(world.signals.notes) == 1
    with pytest.raises(DomainError) as reused:
        await container.holds.hold_seats(buyer, sale.event_id, [seat("A", 2)], "same")
    assert reused.value.code is ErrorCode.REQUEST_ID_REUSED


async def test_a_taken_seat_is_refused_and_nothing_of_the_claim_is_kept() -> None:
    container, _ = assemble(fast_reject=False)
    sale = await published_event(container)
    await container.holds.hold_seats(customer(), sale.event_id, [seat("A", 1)], "r")
    with pytest.raises(DomainError) as lost:
        await container.holds.hold_seats(customer(), sale.event_id, [seat("A", 1), seat("A", 2)], "r")
    assert lost.value.code is ErrorCode.SEAT_UNAVAILABLE
    statuses = await container.holds.seat_statuses(sale.event_id)
    assert statuses[seat("A", 2)] == SeatStatus.AVAILABLE  # all or nothing


async def test_the_taken_seat_view_answers_losers_without_the_database() -> None:
    container, world = assemble()
    sale = await published_event(container)
    until = (world.clock() + timedelta(minutes=5)).timestamp()
    world.taken.apply(SeatChange(sale.event_id, SeatStatus.HELD, (seat("A", 1),), until, "someone-else"))
    with pytest.raises(DomainError) as lost:
        await container.holds.hold_seats(customer(), sale.event_id, [seat("A", 1)], "r")
    assert lost.value.code is ErrorCode.SEAT_UNAVAILABLE
    assert world.database.tables.holds == {}


async def test_the_per_customer_limit_counts_every_live_seat() -> None:
    container, _ = assemble()
    sale = await published_event(container, max_per_customer=3)
    buyer = customer()
    await container.holds.hold_seats(buyer, sale.event_id, [seat("A", 1), seat("A", 2)], "r-1")
    with pytest.raises(DomainError) as limited:
        await container.holds.hold_seats(buyer, sale.event_id, [seat("B", 1), seat("B", 2)], "r-2")
    assert limited.value.code is ErrorCode.SEAT_LIMIT_REACHED
    assert limited.value.metadata == {"limit": "3", "held": "2"}


async def test_unknown_seats_drafts_and_closed_sales_are_refused_with_their_reasons() -> None:
    container, world = assemble()
    sale = await published_event(container)
    draft = await draft_event(container)
    cases = [
        (sale.event_id, [seat("Z", 9)], ErrorCode.SEAT_NOT_FOUND),
        (draft.event_id, [seat("A", 1)], ErrorCode.EVENT_NOT_FOUND),
    ]
    for event_id, seats, reason in cases:
        with pytest.raises(DomainError) as refused:
            await container.holds.hold_seats(customer(), event_id, seats, "r")
        assert refused.value.code is reason
    world.clock.advance(timedelta(days=40))  # past the sale's end
    with pytest.raises(DomainError) as closed:
        await container.holds.hold_seats(customer(), sale.event_id, [seat("A", 1)], "r")
    assert closed.value.code is ErrorCode.SALE_NOT_OPEN


async def test_releasing_frees_the_seats_once_and_only_the_owner_may() -> None:
    container, world = assemble()
    sale = await published_event(container)
    buyer = customer()
    hold = await container.holds.hold_seats(buyer, sale.event_id, [seat("A", 1)], "r")
    with pytest.raises(DomainError) as foreign:
        await container.holds.release_hold(customer(), hold.id, "x")
    assert foreign.value.code is ErrorCode.HOLD_NOT_FOUND
    released = await container.holds.release_hold(buyer, hold.id, "x")
    again = await container.holds.release_hold(buyer, hold.id, "y")
    assert released.status is again.status is HoldStatus.RELEASED
    assert (await container.holds.seat_statuses(sale.event_id))[seat("A", 1)] == SeatStatus.AVAILABLE
    assert [e.event for e in world.database.tables.outbox if isinstance(e.event, HoldReleased)] == [
        HoldReleased(hold.id, sale.event_id, (seat("A", 1),))
    ]


async def test_a_lapsed_seat_another_claim_took_stays_that_claims_when_the_sweeper_comes() -> None:
    container, world = assemble(fast_reject=False)
    sale = await published_event(container)
    late = await container.holds.hold_seats(customer(), sale.event_id, [seat("A", 1), seat("A", 2)], "r")
    world.clock.advance(timedelta(minutes=11))
    rival = await container.holds.hold_seats(customer(), sale.event_id, [seat("A", 1)], "r")
    assert await container.holds.sweep() == 1
    assert (await container.holds.get_hold(customer(late.customer), late.id)).status is HoldStatus.EXPIRED
    statuses = await container.holds.seat_statuses(sale.event_id)
    assert statuses[seat("A", 1)] == SeatStatus.HELD  # the rival's
    assert statuses[seat("A", 2)] == SeatStatus.AVAILABLE
    expired = [e.event for e in world.database.tables.outbox if isinstance(e.event, HoldExpired)]
    assert expired == [HoldExpired(late.id, sale.event_id, (seat("A", 2),))]
    assert rival.status is HoldStatus.ACTIVE


async def test_an_expiry_event_before_the_holds_time_releases_nothing() -> None:
    container, world = assemble()
    sale = await published_event(container)
    hold = await container.holds.hold_seats(customer(), sale.event_id, [seat("A", 1)], "r")
    assert await container.holds.expire_hold(hold.id) is None
    world.clock.advance(timedelta(minutes=10))
    expired = await container.holds.expire_hold(hold.id)
    assert expired is not None
    assert expired.status is HoldStatus.EXPIRED
