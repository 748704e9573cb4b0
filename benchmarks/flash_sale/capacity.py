"""The capacity note's measurements: a drop (10,000 attempts on 2,500 seats, 200 callers, a quarter
of attempts win) on one booking process, twice, recording the CPU the booking process and PostgreSQL
each spent per attempt; then docs/capacity.md rendered from that JSON and the prod overlay's sizes.

    .venv/bin/python -m benchmarks.flash_sale.capacity           # measure, write both files
    .venv/bin/python -m benchmarks.flash_sale.capacity render    # re-render the note from the JSON"""

from __future__ import annotations

import json
import os
import statistics
import sys
from pathlib import Path
from typing import Any

from benchmarks.flash_sale import stack
from benchmarks.flash_sale.capacity_note import NOTE, render
from benchmarks.flash_sale.events import Events
from benchmarks.flash_sale.run import ROOT, Bench, Plan, progress

ROUNDS = 2
ATTEMPTS, SEATS, CONCURRENCY = 10_000, 2_500, 200
RESULT = ROOT / "docs" / "benchmarks" / "capacity.json"  # committed with the note it feeds


def postgres_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    pids.append(int(entry.name))
            except OSError:
                continue  # gone meanwhile
    return pids


def postgres_cpu_seconds() -> float:
    """Every PostgreSQL process's CPU so far; one ending meanwhile takes its share with it (the pools'
    backends live through a round, so what is lost is a few short-lived connections' setup)."""
    total = 0.0
    for pid in postgres_pids():
        try:
            total += stack.cpu_seconds([pid])
        except OSError:
            continue
    return total


def one_round(bench: Bench, events: Events, target: str, pids: list[int], round_: int) -> dict[str, Any]:
    pg_before, booking_before = postgres_cpu_seconds(), stack.cpu_seconds(pids)
    bench.booking_sale(events, f"capacity drop #{round_}", target, ATTEMPTS, SEATS, CONCURRENCY)
    calls = ATTEMPTS + bench.plan.warmup
    figures = bench.figures[-1]
    return {
        "rps": figures.rps,
        "p95_ms": figures.p95_ms,
        "p99_ms": figures.p99_ms,
        "won": figures.outcomes.get("OK", 0),
        "attempts": figures.attempts,
        "booking_cpu_us_per_attempt": 1e6 * (stack.cpu_seconds(pids) - booking_before) / calls,
        "postgres_cpu_us_per_attempt": 1e6 * (postgres_cpu_seconds() - pg_before) / calls,
    }


def measure() -> dict[str, Any]:
    plan = Plan()
    with stack.identity() as who:
        bench = Bench(plan, os.environ["APEXTICK_DATABASE_URL"], who, customers=ATTEMPTS)
        with (
            stack.booking(1, who) as (target, pids),
            Events(target, who.token("customer", "organizer"), bench.database_url) as events,
        ):
            rounds = []
            for round_ in range(1, ROUNDS + 1):
                progress(f"capacity: round {round_}")
                rounds.append(one_round(bench, events, target, pids, round_))
    medians = {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}
    return {
        "shape": {"attempts": ATTEMPTS, "seats": SEATS, "concurrency": CONCURRENCY},
        "cores": os.cpu_count(),
        "rounds": rounds,
        "median": medians,
        "correct": all(v.correct for v in bench.verdicts),
    }


def main(argv: list[str]) -> int:
    if argv[:1] != ["render"]:
        result = measure()
        RESULT.parent.mkdir(parents=True, exist_ok=True)
        RESULT.write_text(json.dumps(result, indent=1))
        if not result["correct"]:
            print("a sale's SQL check failed: no note written")
            return 1
    NOTE.write_text(render(json.loads(RESULT.read_text())))
    print(NOTE)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
