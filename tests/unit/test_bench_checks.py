"""The flash-sale benchmark's correctness checker: it passes a clean sale and names each way a broken
one can go wrong (the e2e tests run it on real sales; these feed it the broken variants)."""

from __future__ import annotations

import pytest

from benchmarks.flash_sale.checks import GRPC_LOSER, judge, watch_problems
from benchmarks.flash_sale.generator import Figures

CLEAN = {"seats_held": 200, "seats_held_twice": 0, "partial_holds": 0, "active_holds": 200}


def figures(outcomes: dict[str, int], attempts: int = 5000) -> Figures:
    return Figures("sale", attempts, 2.0, 2500.0, 1.0, 2.0, 3.0, 4.0, outcomes, 1.0, 200)


def test_a_clean_sale_passes() -> None:
    assert judge("sale", figures({"OK": 200, GRPC_LOSER: 4800}), CLEAN, GRPC_LOSER).correct


@pytest.mark.parametrize(
    ("outcomes", "database", "named"),
    [
        ({"OK": 200, GRPC_LOSER: 4800}, {**CLEAN, "seats_held_twice": 1}, "seats_held_twice"),
        ({"OK": 200, GRPC_LOSER: 4800}, {**CLEAN, "partial_holds": 2}, "partial_holds"),
        ({"OK": 201, GRPC_LOSER: 4799}, CLEAN, "201 successes but 200 seats HELD"),
        ({"OK": 200, GRPC_LOSER: 4790, "Unavailable/SEATS_BUSY": 10}, CLEAN, "SEATS_BUSY"),
        ({"OK": 200, GRPC_LOSER: 4700}, CLEAN, "not every attempt was answered"),
        ({"OK": 200, GRPC_LOSER: 4800}, {**CLEAN, "active_holds": 199}, "199 active holds"),
    ],
    ids=["seat-twice", "partial-hold", "phantom-success", "other-error", "lost-answers", "lost-hold"],
)
def test_each_broken_sale_is_named(outcomes: dict[str, int], database: dict[str, int], named: str) -> None:
    verdict = judge("sale", figures(outcomes), database, GRPC_LOSER)
    assert not verdict.correct
    assert any(named in problem for problem in verdict.problems), verdict.problems


WATCHED = {
    "watchers": 1000, "snapshots": 1000, "seats_won": 200, "complete": 1000, "missing_views": 0,
    "phantom_views": 0, "ended": {},
}  # fmt: skip


def watched(**changes: object) -> Figures:
    sale = figures({"OK": 200, GRPC_LOSER: 4800})
    sale.extra["watch"] = {**WATCHED, **changes}
    return sale


def test_a_clean_live_map_passes() -> None:
    assert watch_problems(watched()) == []


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"snapshots": 990}, "10 watchers got no snapshot"),
        ({"seats_won": 199}, "the watchers' tally saw 199 wins"),
        ({"complete": 999, "missing_views": 3}, "3 views of won seats never reached"),
        ({"phantom_views": 1}, "no hold won"),
        ({"ended": {"Aborted/STREAM_BEHIND": 2}}, "STREAM_BEHIND"),
    ],
    ids=["no-snapshot", "lost-win", "missed-seat", "phantom-seat", "ended-stream"],
)
def test_each_broken_live_map_is_named(changes: dict[str, object], named: str) -> None:
    problems = watch_problems(watched(**changes))
    assert any(named in problem for problem in problems), problems
