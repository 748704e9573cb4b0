"""The fast-reject view may only ever say "taken", and never longer than the facts allow."""

from __future__ import annotations

import time
import uuid

from booking.adapters.redis_seats import SeatChange, TakenSeatsView
from booking.domain.hold import SeatStatus

EVENT = uuid.uuid4()


def test_held_seats_are_taken_until_the_hold_expires_and_freed_seats_are_not() -> None:
    view = TakenSeatsView()
    soon = time.time() + 60
    view.apply(SeatChange(EVENT, SeatStatus.HELD, ("a", "b"), soon, "alice"))
    assert view.known_taken(EVENT, ["a", "c"], "bob") == ["a"]
    view.apply(SeatChange(EVENT, SeatStatus.AVAILABLE, ("a",), 0.0))
    assert view.known_taken(EVENT, ["a", "b"], "bob") == ["b"]
    view.apply(SeatChange(EVENT, SeatStatus.HELD, ("c",), time.time() - 1, "alice"))
    assert view.known_taken(EVENT, ["c"], "bob") == []  # lapsed: only PostgreSQL may say more
    assert view.known_taken(uuid.uuid4(), ["a", "b"], "bob") == []


def test_a_holder_retrying_is_never_turned_away_by_the_view() -> None:
    view = TakenSeatsView()
    view.apply(SeatChange(EVENT, SeatStatus.HELD, ("a",), time.time() + 60, "alice"))
    view.apply(SeatChange(EVENT, SeatStatus.BOOKED, ("b",), 0.0, "carol"))
    assert view.known_taken(EVENT, ["a", "b"], "alice") == []
    assert view.known_taken(EVENT, ["b"], "bob") == ["b"]


def test_changes_round_trip_through_the_channel_format() -> None:
    change = SeatChange(EVENT, SeatStatus.HELD, ("floor-A-1", "floor-A-2"), 1234.5, "sub-1")
    assert SeatChange.decode(EVENT, change.encode()) == change
    empty = SeatChange(EVENT, SeatStatus.AVAILABLE, (), 0.0)
    assert SeatChange.decode(EVENT, empty.encode()) == empty
