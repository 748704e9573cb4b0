"""Waiting-room benchmark: the queue's paths beside their references, loaded the same way in one run.

    scripts/bench.sh queue [--quick]        (make bench-queue; needs only PostgreSQL and Redis)

It starts a stand-in identity provider, the no-op and raw-join reference servers and one booking
process, and drives them with the flash-sale load generator (benchmarks/loadgen, `-call join`):

1. Joins: every arrival, each its own identity, joins one event's pre-queue (JoinQueue over gRPC),
   beside the no-op (the gRPC ceiling: the generator drives it much faster than booking, so the
   generator does not set booking's pace) and the raw join (one INSERT: the database ceiling). Then
   part of the crowd joins again from another tab: every answer must be QUEUE_ALREADY_JOINED.
2. The open: the door orders the pre-queue under the room's lock (timed), beside the keyed shuffle
   alone in memory; then `apextick queue verify` recomputes the order from public data only.
3. The outflow: the worker's door turned once a second at the set rate; admissions per minute from
   PostgreSQL's record beside the set rate, and each turn's time.
4. Holds with passes: each admitted identity fetches its pass from its position stream and makes one
   HoldSeats with it, beside the same crowd holding on an event without a queue.

Checked in SQL: one entry per identity, every hold on the queued event taken with a pass, passes
used = holds, no seat held twice. Figures to stdout, JSON to var/reports/bench-queue.json; exit 1
when a check fails (timings are reported, never asserted)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import grpc
from apextick.waitingroom.v1 import waiting_room_service_pb2 as wr
from apextick.waitingroom.v1 import waiting_room_service_pb2_grpc as wr_grpc
from google.protobuf.duration_pb2 import Duration

from benchmarks.flash_sale import stack
from benchmarks.flash_sale.checks import GRPC_LOSER
from benchmarks.flash_sale.events import Events, held_seats
from benchmarks.flash_sale.generator import Figures, Load, run_loadgen
from benchmarks.waiting_room import door
from booking.domain.waiting_room import fair_order

ROOT = Path(__file__).resolve().parents[2]
REPORT = ROOT / "var" / "reports" / "bench-queue.json"
ALREADY = "AlreadyExists/QUEUE_ALREADY_JOINED"
OUTFLOW_TOLERANCE = 0.05  # the bound on the measured outflow against the set rate


@dataclass(frozen=True)
class Plan:
    arrivals: int = 20_000
    concurrency: int = 200
    rate: int = 30_000  # admissions a minute (500 a second)
    outflow_seconds: int = 30
    seats: int = 2_000  # the queued event's (and the reference event's) seats
    second_tabs: int = 2_000  # identities that join again from another tab

    @classmethod
    def quick(cls) -> Plan:
        return cls(arrivals=5_000, rate=12_000, outflow_seconds=20, seats=1_000, second_tabs=1_000)


def progress(text: str) -> None:
    print(f"[bench-queue {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


class Run:
    def __init__(self, plan: Plan, database_url: str) -> None:
        self.plan = plan
        self.database_url = database_url
        self.figures: list[Figures] = []
        self.servers: dict[str, list[int]] = {}
        self.facts: dict[str, Any] = {}
        self.problems: list[str] = []

    def fire(self, name: str, load: Load) -> Figures:
        """One generator run, with the server's CPU per call when its pids are known."""
        pids = self.servers.get(load.target, [])
        before = stack.cpu_seconds(pids)
        figures = run_loadgen(name, load)
        if pids and figures.attempts:
            figures.extra["server_cpu_us_per_call"] = round(
                1e6 * (stack.cpu_seconds(pids) - before) / (figures.attempts + load.warmup), 1
            )
        self.figures.append(figures)
        progress(f"  {name}: {figures.rps:,.0f} req/s, p95 {figures.p95_ms:.1f} ms, {figures.outcomes}")
        return figures

    def expect(self, condition: bool, problem: str) -> None:  # noqa: FBT001 - reads as an assertion
        if not condition:
            self.problems.append(problem)


async def configure(target: str, organizer: str, event: str, plan: Plan) -> None:
    async with grpc.aio.insecure_channel(target) as channel:
        await wr_grpc.WaitingRoomServiceStub(channel).ConfigureQueue(
            wr.ConfigureQueueRequest(
                event=event, enabled=True, admissions_per_minute=plan.rate,
                pass_lifetime=Duration(seconds=600),
            ),
            metadata=(("authorization", f"Bearer {organizer}"),),
        )  # fmt: skip


def joins(
    run: Run, targets: dict[str, str], events: Events, organizer: str, tokens: list[str]
) -> tuple[str, list[str]]:
    """Phase 1; returns the queued event and its seats, its sale opening once the joins are done."""
    plan = run.plan
    # Sized from a slow join (400 a second) plus the references: the open must not come mid-join.
    opens_in = timedelta(seconds=30 + plan.arrivals / 400)
    event, seats = events.create(plan.seats, sale_opens_in=opens_in)
    run.facts["sale_opens_at"] = time.time() + opens_in.total_seconds()
    reference, _ = events.create(10, sale_opens_in=timedelta(hours=1))
    for queued in (event, reference):
        asyncio.run(configure(targets["booking"], organizer, queued, plan))
    load = Load(targets["noop"], event, [], tokens, plan.arrivals, plan.concurrency, call="join")
    run.fire("join: noop reference", load)
    run.fire(
        "join: raw join reference", Load(**{**asdict(load), "target": targets["raw"], "event": reference})
    )
    booked = run.fire("join: booking", Load(**{**asdict(load), "target": targets["booking"]}))
    run.expect(booked.outcomes == {"OK": plan.arrivals}, f"joins answered {booked.outcomes}")
    again = run.fire(
        "join again (another tab): booking",
        Load(**{**asdict(load), "target": targets["booking"], "tokens": tokens[: plan.second_tabs],
                "attempts": plan.second_tabs}),
    )  # fmt: skip
    run.expect(again.outcomes == {ALREADY: plan.second_tabs}, f"second joins answered {again.outcomes}")
    return event, seats


def the_open(run: Run, target: str, event: str) -> door.Turns:
    """Phase 2 and 3: wait for the sale's start, then the worker's door for the outflow's span."""
    wait = run.facts["sale_opens_at"] - time.time()
    progress(f"the open in {max(0.0, wait):.0f} s, then the door for {run.plan.outflow_seconds} s")
    time.sleep(max(0.0, wait) + 0.5)
    turns = asyncio.run(door.turn_door(run.plan.outflow_seconds))
    pseudonyms = [os.urandom(16).hex() for _ in range(run.plan.arrivals)]
    began = time.perf_counter()
    fair_order(os.urandom(32), pseudonyms)
    run.facts["shuffle_alone_ms"] = round(1000 * (time.perf_counter() - began), 1)
    verify = subprocess.run(
        [str(stack.BIN / "apextick"), "queue", "verify", event, "--grpc", target],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    verdict = json.loads(verify.stdout) if verify.returncode == 0 else {"error": verify.stderr[-500:]}
    run.facts["verify"] = verdict
    run.expect(verdict.get("fair") is True and verdict.get("entries") == run.plan.arrivals,
               f"apextick queue verify: {verdict}")  # fmt: skip
    return turns


def outflow(run: Run, event: str, turns: door.Turns) -> None:
    rows = door.batches(run.database_url, event)
    measured = door.outflow_per_minute(rows)
    later = sorted(turns.ms[1:])
    run.facts["outflow"] = {
        "set_per_minute": run.plan.rate,
        "measured_per_minute": round(measured, 1),
        "ratio": round(measured / run.plan.rate, 4),
        "batches": len(rows),
        "admitted": sum(count for _, count in rows),
        "open_turn_ms": round(turns.ms[0], 1),
        "turn_p50_ms": round(later[len(later) // 2], 1) if later else 0.0,
        "turn_max_ms": round(later[-1], 1) if later else 0.0,
    }
    run.expect(
        abs(measured / run.plan.rate - 1) <= OUTFLOW_TOLERANCE,
        f"outflow {measured:.0f}/min, set {run.plan.rate}",
    )


def holds(
    run: Run, targets: dict[str, str], events: Events, sale: tuple[str, list[str]], tokens: list[str]
) -> None:
    """Phase 4: the admitted hold with their passes, beside the same crowd on an event without a queue."""
    event, seats = sale
    admitted = door.admitted_subjects(run.database_url, event)
    crowd = [token for token in tokens if door.subject_of(token) in admitted]
    progress(f"{len(crowd):,} admitted identities fetch their passes")
    began = time.perf_counter()
    passes = asyncio.run(door.fetch_passes(targets["booking"], event, crowd))
    run.facts["pass_fetch_per_s"] = round(len(crowd) / (time.perf_counter() - began), 1)
    plan = run.plan
    load = Load(targets["booking"], event, seats, crowd, len(crowd), plan.concurrency, passes=passes)
    queued = run.fire("hold with pass: booking", load)
    plain, plain_seats = events.create(plan.seats)
    reference = run.fire(
        "hold, no queue: booking",
        Load(**{**asdict(load), "event": plain, "seat_ids": plain_seats, "passes": []}),
    )
    for name, figures, sold in (("queued", queued, event), ("no queue", reference, plain)):
        database = held_seats(run.database_url, sold)
        unexpected = set(figures.outcomes) - {"OK", GRPC_LOSER}
        run.expect(not unexpected, f"{name}: answers {figures.outcomes}")
        run.expect(database["seats_held"] == figures.ok, f"{name}: {figures.ok} won, {database}")
        run.expect(not database["seats_held_twice"], f"{name}: a seat held twice {database}")
    record = door.room_record(run.database_url, event)
    record["passes_used"] = asyncio.run(door.published_passes_used(targets["booking"], event))
    run.facts["record"] = record
    run.expect(record["entries"] == record["identities"] == plan.arrivals, f"entries {record}")
    run.expect(record["holds_without_pass"] == 0, f"holds without a pass {record}")
    run.expect(record["passes_used"] == record["passes_with_hold"] == queued.ok, f"passes used {record}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="5,000 arrivals, a shorter outflow")
    args = parser.parse_args(argv)
    plan = Plan.quick() if args.quick else Plan()
    run = Run(plan, os.environ["APEXTICK_DATABASE_URL"])
    started = time.time()
    with stack.identity() as who, ExitStack() as es:
        progress(f"minting {plan.arrivals:,} customer tokens, starting the servers")
        tokens = who.customers(plan.arrivals)
        organizer = who.token("customer", "organizer")
        targets = {}
        for name, kind in (("noop", "noop"), ("raw", "raw-join")):
            commands, port = stack.reference(kind)
            targets[name] = f"127.0.0.1:{port}"
            run.servers[targets[name]] = es.enter_context(stack.processes(commands, {}, port))
        targets["booking"], pids = es.enter_context(stack.booking(1, who))
        run.servers[targets["booking"]] = pids
        events = es.enter_context(Events(targets["booking"], organizer, run.database_url))
        progress(f"joins: {plan.arrivals:,} arrivals, {plan.concurrency} at once")
        sale = joins(run, targets, events, organizer, tokens)
        outflow(run, sale[0], the_open(run, targets["booking"], sale[0]))
        holds(run, targets, events, sale, tokens)
    result = summary(run, time.time() - started)
    print_report(result)
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(result, indent=1))
    progress(f"JSON in {REPORT.relative_to(ROOT)}")
    return 0 if result["correct"] else 1


def summary(run: Run, seconds: float) -> dict[str, Any]:
    by = {f.name: f for f in run.figures}

    def ratio(a: str, b: str) -> float:
        return round(by[a].rps / by[b].rps, 3) if by[b].rps else 0.0

    return {
        "plan": asdict(run.plan),
        "seconds": round(seconds, 1),
        "figures": [asdict(f) for f in run.figures],
        "ratios": {
            "join: booking / noop": ratio("join: booking", "join: noop reference"),
            "join: booking / raw join": ratio("join: booking", "join: raw join reference"),
            "hold: with pass / no queue": ratio("hold with pass: booking", "hold, no queue: booking"),
        },
        "facts": run.facts,
        "problems": run.problems,
        "correct": not run.problems,
    }


def print_report(result: dict[str, Any]) -> None:
    head = f"{'target':<36}{'calls':>8}{'req/s':>9}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'cpu us':>8}"
    print(f"{head}  outcomes")
    for f in result["figures"]:
        cpu = f["extra"].get("server_cpu_us_per_call", "")
        print(
            f"{f['name']:<36}{f['attempts']:>8}{f['rps']:>9.0f}{f['p50_ms']:>8.1f}{f['p95_ms']:>8.1f}"
            f"{f['p99_ms']:>8.1f}{cpu:>8}  {f['outcomes']}"
        )
    generator = next(f for f in result["figures"] if f["name"] == "join: noop reference")
    cpu_us = 1e6 * generator["generator_cpu_seconds"] / max(1, generator["attempts"])
    print(f"generator: {generator['rps']:,.0f} req/s on the no-op, {cpu_us:.0f} us of its CPU a call")
    for label, value in result["ratios"].items():
        print(f"{label:<36}{value:>9.2f}x")
    facts = result["facts"]
    flow = facts.get("outflow", {})
    print(
        f"outflow: {flow.get('measured_per_minute', 0):,.1f} a minute measured,"
        f" {flow.get('set_per_minute', 0):,} set ({flow.get('ratio', 0):.4f}x)"
        f" over {flow.get('batches', 0)} batches;"
        f" the open's turn {flow.get('open_turn_ms', 0):,.1f} ms (the shuffle alone in memory"
        f" {facts.get('shuffle_alone_ms', 0):,.1f} ms), later turns p50 {flow.get('turn_p50_ms', 0):.1f} ms,"
        f" max {flow.get('turn_max_ms', 0):.1f} ms"
    )
    print(f"passes fetched from position streams: {facts.get('pass_fetch_per_s', 0):,.0f} a second")
    print(f"apextick queue verify: {facts.get('verify')}")
    print(f"PostgreSQL's record: {facts.get('record')}")
    for problem in result["problems"]:
        print(f"VIOLATED {problem}")
    print("correctness: " + ("every check held" if result["correct"] else "VIOLATED (exit 1)"))


if __name__ == "__main__":
    sys.exit(main())
