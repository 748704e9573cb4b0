"""The live map's pace, as pure rules: coalescing keeps each seat's latest status once; the tick
lengthens in proportion when the process spends more than its budget, shortens as soon as it spends
less, and stays between its floor and ceiling."""

from __future__ import annotations

import pytest

from booking.domain.hold import SeatStatus
from booking.domain.seat_feed import PendingChanges, TickPolicy


def test_each_seat_is_sent_once_with_its_latest_status() -> None:
    pending = PendingChanges()
    pending.add(["A-1", "A-2", "A-3"], SeatStatus.HELD)
    pending.add(["A-1"], SeatStatus.AVAILABLE)
    pending.add(["A-2"], SeatStatus.BOOKED)
    groups = dict(pending.drain())
    assert groups == {SeatStatus.HELD: ["A-3"], SeatStatus.AVAILABLE: ["A-1"], SeatStatus.BOOKED: ["A-2"]}
    assert not pending
    assert pending.drain() == []


POLICY = TickPolicy(floor_seconds=0.1, ceiling_seconds=2.0, cpu_budget=0.2)


def test_over_budget_the_tick_lengthens_in_proportion() -> None:
    assert POLICY.next_interval(0.1, 0.8) == pytest.approx(0.4)  # 4x the budget: 4x the tick


def test_the_tick_never_passes_its_ceiling_nor_its_floor() -> None:
    assert POLICY.next_interval(1.5, 1.0) == 2.0
    assert POLICY.next_interval(0.1, 0.0) == 0.1


def test_under_budget_the_tick_shortens_in_proportion() -> None:
    assert POLICY.next_interval(1.0, 0.1) == pytest.approx(0.5)
    assert POLICY.next_interval(1.0, 0.02) == pytest.approx(0.1)  # a quiet tick: back to the floor


def test_a_fixed_cost_per_tick_settles_in_one_step_where_it_meets_the_budget() -> None:
    cost_per_tick = 0.1  # CPU seconds each tick's writes take, however long the tick
    interval = POLICY.next_interval(POLICY.floor_seconds, cost_per_tick / POLICY.floor_seconds)
    assert interval == pytest.approx(cost_per_tick / POLICY.cpu_budget)
    assert POLICY.next_interval(interval, cost_per_tick / interval) == pytest.approx(interval)


def test_a_steady_load_beside_the_fanout_within_budget_still_settles() -> None:
    cost_per_tick, other_work = 0.05, 0.1  # CPU per tick; CPU per second spent on anything else
    interval = POLICY.floor_seconds
    for _ in range(50):
        interval = POLICY.next_interval(interval, cost_per_tick / interval + other_work)
    assert interval == pytest.approx(cost_per_tick / (POLICY.cpu_budget - other_work), rel=0.01)
