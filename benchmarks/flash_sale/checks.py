"""Correctness of every sale the benchmark fires, from what PostgreSQL holds afterwards and the
generator's count of answers. A violated check makes the run exit 1; figures are never judged."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from benchmarks.flash_sale.events import held_seats
from benchmarks.flash_sale.generator import Figures

GRPC_LOSER = "Aborted/SEAT_UNAVAILABLE"
REST_LOSER = "HTTP409/SEAT_UNAVAILABLE"


@dataclass
class Verdict:
    name: str
    database: dict[str, int]
    problems: list[str] = field(default_factory=list)

    @property
    def correct(self) -> bool:
        return not self.problems


def judge(name: str, figures: Figures, database: dict[str, int], loser: str) -> Verdict:
    """One seat per attempt: every success is exactly one HELD seat, no seat in two holds, every other
    answer the clean loser's answer, every attempt answered."""
    verdict = Verdict(name, database)
    unexpected = {k: v for k, v in figures.outcomes.items() if k not in {"OK", loser}}
    if unexpected:
        verdict.problems.append(f"answers other than OK and {loser}: {unexpected}")
    if sum(figures.outcomes.values()) != figures.attempts:
        verdict.problems.append("not every attempt was answered")
    if database["seats_held"] != figures.ok:
        verdict.problems.append(f"{figures.ok} successes but {database['seats_held']} seats HELD")
    for key in ("seats_held_twice", "partial_holds"):
        if database.get(key):
            verdict.problems.append(f"{key} = {database[key]}")
    if "active_holds" in database and database["active_holds"] != figures.ok:
        verdict.problems.append(f"{figures.ok} successes but {database['active_holds']} active holds")
    return verdict


def check_booking(
    name: str, figures: Figures, database_url: str, event: str, *, rest: bool = False
) -> Verdict:
    verdict = judge(name, figures, held_seats(database_url, event), REST_LOSER if rest else GRPC_LOSER)
    if "watch" in figures.extra:
        verdict.problems += watch_problems(figures)
    return verdict


def watch_problems(figures: Figures) -> list[str]:
    """The live map during the sale: every watcher got its snapshot and then every won seat, saw no
    seat HELD that nobody won, and no stream ended."""
    watch: dict[str, Any] = figures.extra["watch"]  # type: ignore[assignment]
    problems = []
    if watch["snapshots"] != watch["watchers"]:
        problems.append(f"{watch['watchers'] - watch['snapshots']} watchers got no snapshot")
    if watch["seats_won"] != figures.ok:
        problems.append(f"{figures.ok} successes but the watchers' tally saw {watch['seats_won']} wins")
    if watch["complete"] != watch["watchers"]:
        problems.append(f"{watch['missing_views']} views of won seats never reached their watcher")
    if watch["phantom_views"]:
        problems.append(f"{watch['phantom_views']} views showed HELD a seat that no hold won")
    if watch["ended"]:
        problems.append(f"streams ended during the sale: {watch['ended']}")
    return problems


def check_raw_claim(name: str, figures: Figures, database_url: str, event: str) -> Verdict:
    """The reference writes no hold rows: only its seats are checked (it answers losers plain ABORTED)."""
    database = held_seats(database_url, event)
    database.pop("active_holds")
    return judge(name, figures, database, "Aborted/(no ErrorInfo)")
