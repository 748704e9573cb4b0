"""`apextick bench`'s own correctness verdict: a clean sale has none, and each way a sale can go wrong
is named (the CLI exits 1 on any; the e2e tests run it on real sales)."""

from __future__ import annotations

from typing import Any

import pytest
from apextick_client.bench import violations

CLEAN: dict[str, Any] = {
    "attempts": 5000, "won": 200, "rejected": 4800, "errors": 0, "seats_won": 200, "seats_held_in_db": 200,
    "seats_held_twice": 0, "partial_holds": 0, "lost_acknowledged_holds": 0,
}  # fmt: skip


def test_a_clean_sale_has_no_violation() -> None:
    assert violations(CLEAN) == []


@pytest.mark.parametrize(
    ("broken", "named"),
    [
        ({"seats_held_twice": 1}, "seats_held_twice = 1"),
        ({"partial_holds": 2}, "partial_holds = 2"),
        ({"lost_acknowledged_holds": 1}, "lost_acknowledged_holds = 1"),
        ({"errors": 3, "rejected": 4797}, "errors = 3"),
        ({"seats_held_in_db": 199}, "seats won 200 but 199 held in the database"),
        ({"rejected": 4700}, "not every attempt was answered"),
    ],
    ids=["seat-twice", "partial-hold", "lost-hold", "errors", "phantom-win", "lost-answers"],
)
def test_each_broken_sale_is_named(broken: dict[str, int], named: str) -> None:
    assert named in violations({**CLEAN, **broken})
