"""The live seat map at flash-sale scale: a sale (20,000 attempts, 200 callers, 2,000 seats: long
enough, at several seconds, for the map's tick to settle) fired with nobody watching, then again
with 1,000 and 10,000 WatchSeatMap streams open on the event, in the same run. The watchers are
held by the same generator process (loadgen's watch.go), which times each seat from the winning
hold's answer to the watcher seeing it HELD.

Where the streams are served is the point: in the separate seat-map process (`apextick-booking
seatmap`), over gRPC straight to it and through the edge's REST stream as browsers watch (Envoy
routes the map there), and, for comparison, in the booking process itself.
Every watcher must see every won seat and nothing else; every sale is checked in SQL as usual.

    .venv/bin/python -m benchmarks.flash_sale.live_map [--watchers 1000 10000]"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from benchmarks.flash_sale import stack
from benchmarks.flash_sale.checks import Verdict, check_booking
from benchmarks.flash_sale.events import Events
from benchmarks.flash_sale.generator import Figures, Load
from benchmarks.flash_sale.run import (
    ATTEMPTS_PER_CUSTOMER,
    REPORT,
    ROOT,
    WARMUP_SEATS,
    Bench,
    Plan,
    progress,
)

# Every simulated watcher comes from this one machine, so the per-caller stream quota (16, meant
# for one person's tabs) is lifted for the benchmark's processes.
MANY_STREAMS = {"APEXTICK_WATCH_STREAMS_PER_CALLER": "1000000"}
SALE = (20_000, 2_000)  # attempts, seats


def watched_sale(
    bench: Bench, events: Events, name: str, target: str, watchers: int, watch_at: str, *, rest: bool = False
) -> Figures:
    plan = bench.plan
    attempts, seats = SALE
    event, seat_ids = events.create(seats)
    warm, warm_seats = events.create(WARMUP_SEATS)
    load = Load(
        target,
        event,
        seat_ids,
        bench.tokens[: attempts // ATTEMPTS_PER_CUSTOMER],
        attempts,
        plan.concurrency,
        warmup=plan.warmup,
        warmup_event=warm,
        warmup_seat_ids=warm_seats,
        watchers=watchers,
        watch_target=watch_at,
        watch_rest=rest,
    )
    watch_pids = bench.servers.get(watch_at, []) if watch_at != target else []
    before = stack.cpu_seconds(watch_pids)
    figures = bench.fire(name, load)
    if watch_pids:
        figures.extra["seatmap_cpu_seconds"] = round(stack.cpu_seconds(watch_pids) - before, 2)
    bench.verdicts.append(check_booking(name, figures, bench.database_url, event))
    if watchers:
        progress(f"    watchers: {summary_line(figures)}")
    return figures


def summary_line(figures: Figures) -> str:
    watch: dict[str, Any] = figures.extra["watch"]  # type: ignore[assignment]
    return (
        f"{watch['complete']:,}/{watch['watchers']:,} saw all {watch['seats_won']} won seats;"
        f" delivery p50 {watch['delivery_p50_ms']:.0f}, p95 {watch['delivery_p95_ms']:.0f},"
        f" p99 {watch['delivery_p99_ms']:.0f} ms; snapshots in {watch['connect_seconds']:.1f} s"
    )


def live_map(bench: Bench, audiences: tuple[int, ...], workdir: Path) -> dict[str, Any]:
    """The scenario; returns its ratios and memory (its figures and verdicts are kept in `bench`)."""
    results: dict[str, Any] = {"audiences": list(audiences), "sale": list(SALE), "ratios": {}}
    ratios = results["ratios"]
    with (
        stack.booking(1, bench.who, MANY_STREAMS) as (target, pids),
        stack.seat_map_process(bench.who, MANY_STREAMS) as (seatmap, seatmap_pids),
        stack.edge([target], bench.who, workdir, seatmap=seatmap) as rest,
        Events(target, bench.who.token("customer", "organizer"), bench.database_url) as events,
    ):
        bench.servers[target] = pids
        bench.servers[seatmap] = bench.servers[rest] = seatmap_pids
        progress(f"live map: a sale of {SALE[0]:,} attempts on {SALE[1]:,} seats, nobody watching")
        alone = watched_sale(bench, events, "booking, nobody watching", target, 0, target)
        for audience in audiences:
            for where, at, through_edge in (("apart", seatmap, False), ("via edge", rest, True)):
                progress(f"live map: the same sale, {audience:,} watchers {where} (the seat-map process)")
                name = f"booking, {audience} watchers {where}"
                watched = watched_sale(bench, events, name, target, audience, at, rest=through_edge)
                ratios[f"holds with {audience} watchers {where} / none"] = round(watched.rps / alone.rps, 3)
        audience = audiences[0]
        progress(f"live map: {audience:,} watchers on the booking process itself (the claim path's loop)")
        inside = watched_sale(bench, events, f"booking, {audience} watchers inside", target, audience, target)
        ratios[f"holds with {audience} watchers inside / none"] = round(inside.rps / alone.rps, 3)
        results["memory_mb"] = {
            "booking": stack.resident_mb(pids),
            "seatmap": stack.resident_mb(seatmap_pids),
        }
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--watchers", type=int, nargs="+", default=[1000, 10_000])
    args = parser.parse_args(argv)
    plan = Plan()
    with stack.identity() as who:
        bench = Bench(plan, os.environ["APEXTICK_DATABASE_URL"], who, customers=SALE[0])
        results = live_map(bench, tuple(args.watchers), ROOT / "var" / "bench" / "edge-live-map")
    for f in bench.figures:
        watch = f"  {summary_line(f)}" if "watch" in f.extra else ""
        print(f"{f.name:<36}{f.rps:>8.0f} req/s  p95 {f.p95_ms:6.1f} ms{watch}")
    for label, value in results["ratios"].items():
        print(f"{label:<48}{value:>6.2f}x")
    verdicts: list[Verdict] = bench.verdicts
    for verdict in verdicts:
        if not verdict.correct:
            print(f"VIOLATED {verdict.name}: {verdict.problems}")
    report = REPORT.with_name("bench-live-map.json")
    report.parent.mkdir(parents=True, exist_ok=True)
    document = {
        **results,
        "figures": [asdict(f) for f in bench.figures],
        "verdicts": [asdict(v) for v in verdicts],
    }
    report.write_text(json.dumps(document, indent=1))
    return 0 if all(v.correct for v in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
