"""What the RPC metrics cost the hold path: the headline sale (5,000 attempts, 200 callers, 200
seats) on a booking process serving /metrics (every call counted and timed in the call pipeline)
and on one that does not, alternating, three rounds each, in the same run; Prometheus-style scrapes
every second meanwhile, as a real Prometheus would.

    .venv/bin/python -m benchmarks.flash_sale.metrics_cost"""

from __future__ import annotations

import json
import os
import statistics
import sys
import threading
import urllib.request
from typing import Any

from benchmarks.flash_sale import stack
from benchmarks.flash_sale.events import Events
from benchmarks.flash_sale.run import REPORT, Bench, Plan, progress
from edge.running import free_port

ROUNDS = 3


def scraping(port: int, stop: threading.Event) -> threading.Thread:
    def scrape() -> None:
        while not stop.wait(1.0):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as reply:
                reply.read()

    thread = threading.Thread(target=scrape, daemon=True)
    thread.start()
    return thread


def metrics_cost(bench: Bench) -> dict[str, Any]:
    plan = bench.plan
    metrics_port = free_port()
    served = {"APEXTICK_METRICS_PORT": str(metrics_port)}
    stop = threading.Event()
    with (
        stack.booking(1, bench.who, served) as (with_metrics, with_pids),
        stack.booking(1, bench.who) as (without, without_pids),
        Events(without, bench.who.token("customer", "organizer"), bench.database_url) as events,
    ):
        bench.servers.update({with_metrics: with_pids, without: without_pids})
        scraper = scraping(metrics_port, stop)
        rps: dict[str, list[float]] = {"with /metrics": [], "without": []}
        for round_ in range(ROUNDS):
            for label, target in (("with /metrics", with_metrics), ("without", without)):
                progress(f"metrics cost, round {round_ + 1}: booking {label}")
                name = f"booking {label} #{round_ + 1}"
                bench.booking_sale(events, name, target, plan.attempts, plan.seats, plan.concurrency)
                rps[label].append(bench.figures[-1].rps)
        stop.set()
        scraper.join()
    medians = {label: statistics.median(values) for label, values in rps.items()}
    return {
        "rounds": rps,
        "median_rps": medians,
        "with / without": round(medians["with /metrics"] / medians["without"], 3),
    }


def main() -> int:
    plan = Plan()
    with stack.identity() as who:
        bench = Bench(plan, os.environ["APEXTICK_DATABASE_URL"], who, customers=plan.attempts)
        result = metrics_cost(bench)
    print(json.dumps(result, indent=1))
    report = REPORT.with_name("bench-metrics-cost.json")
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(json.dumps({**result, "verdicts": [v.correct for v in bench.verdicts]}, indent=1))
    return 0 if all(v.correct for v in bench.verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
