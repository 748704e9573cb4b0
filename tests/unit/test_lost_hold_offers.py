"""A lost HoldSeats is offered the nearest free seats of its tier. The nearest-seat list depends on the
map alone, so it is remembered per layout: the same answer as computing it afresh, for every loser of
the same seats, until the layout is read again."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest

from apextick_platform.errors import DomainError, ErrorCode
from apextick_platform.identity import Principal, Role
from booking.domain.best_available import Layout, Place, nearest
from booking.service_layer import best_available_use_cases as module
from booking.service_layer.best_available_use_cases import OFFER_CANDIDATES, BestAvailableUseCases
from tests.unit.test_best_available import hall

EVENT = uuid.uuid4()
WHO = Principal("loser", frozenset({Role.CUSTOMER}))


class AlwaysLost:
    async def hold_seats(self, *args: object) -> None:
        raise DomainError(ErrorCode.SEAT_UNAVAILABLE, "taken", metadata={"seats": "main-A-5"})


@dataclass
class Layouts:
    places_read: int = 0
    free: set[str] = field(default_factory=lambda: {p.seat_id for p in hall()})

    async def places(self, event_id: uuid.UUID) -> Sequence[Place]:
        self.places_read += 1
        return hall()

    async def available(self, event_id: uuid.UUID, seat_ids: Sequence[str]) -> set[str]:
        return self.free & set(seat_ids)


async def offered(cases: BestAvailableUseCases, seats: list[str]) -> str:
    with pytest.raises(DomainError) as lost:
        await cases.hold_or_offer(WHO, EVENT, seats, "r", "")
    return lost.value.metadata["alternatives"]


async def test_the_remembered_offer_is_the_computed_one_and_follows_the_free_seats(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    computed: list[tuple[str, ...]] = []

    def counted(layout: Layout, wanted: Sequence[str], limit: int) -> list[str]:
        computed.append(tuple(wanted))
        return nearest(layout, wanted, limit)

    monkeypatch.setattr(module, "nearest", counted)
    layouts = Layouts()
    cases = BestAvailableUseCases(AlwaysLost(), None, layouts)  # type: ignore[arg-type]
    expected = nearest(Layout.of(hall()), ["main-A-5"], OFFER_CANDIDATES)
    assert await offered(cases, ["main-A-5"]) == expected[0]
    layouts.free.discard(expected[0])  # the nearest went meanwhile: the next is offered
    assert await offered(cases, ["main-A-5"]) == expected[1]
    assert await offered(cases, ["main-A-6"]) == nearest(Layout.of(hall()), ["main-A-6"], 1)[0]
    assert computed == [("main-A-5",), ("main-A-6",)]  # once per lost seat, however many lose it
    assert layouts.places_read == 1


async def test_the_memory_is_dropped_with_the_layout() -> None:
    layouts = Layouts()
    cases = BestAvailableUseCases(AlwaysLost(), None, layouts)  # type: ignore[arg-type]
    await offered(cases, ["main-A-5"])
    cases._cache.clear()  # the layout read again, as after its time
    await offered(cases, ["main-A-5"])
    assert layouts.places_read == 2
    assert cases._nearest[EVENT][0] is cases._cache[EVENT][1]  # the memory is the new layout's
