"""The flash-sale benchmark's correctness checker: it passes a clean sale and names each way a broken
one can go wrong (the e2e tests run it on real sales; these feed it the broken variants)."""

from __future__ import annotations

import pytest

from benchmarks.flash_sale.checks import GRPC_LOSER, judge
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
