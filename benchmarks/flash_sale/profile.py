"""Where the booking server's time goes during a flash sale: py-spy samples one booking process while
the load generator fires a sale, and the hottest frames are printed (inclusive share of samples).

    .venv/bin/python -m benchmarks.flash_sale.profile [--attempts 20000 --seats 200] [--join]

With --join the sale is a waiting room's pre-queue instead: every attempt a JoinQueue by its own
identity.

Writes the collapsed stacks to var/reports/profile-booking.txt (flame-graph input)."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from benchmarks.flash_sale import stack
from benchmarks.flash_sale.events import Events
from benchmarks.flash_sale.generator import Load, run_loadgen

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "var" / "reports" / "profile-booking.txt"


def hottest(collapsed: str, top: int) -> list[tuple[str, float]]:
    """Inclusive share of each frame (counted once per sample however deep it recurs)."""
    inclusive: Counter[str] = Counter()
    total = 0
    for line in collapsed.splitlines():
        frames, _, count = line.rpartition(" ")
        if not frames:
            continue
        samples = int(count)
        total += samples
        for frame in set(frames.split(";")):
            inclusive[frame] += samples
    return [(frame, n / total) for frame, n in inclusive.most_common(top)] if total else []


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--attempts", type=int, default=20_000)
    parser.add_argument("--seats", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--top", type=int, default=45)
    parser.add_argument("--native", action="store_true", help="sample C frames too (gRPC core, uvloop)")
    parser.add_argument("--join", action="store_true", help="profile JoinQueue on a pre-queue instead")
    args = parser.parse_args()
    database_url = os.environ["APEXTICK_DATABASE_URL"]
    with stack.identity() as who, stack.booking(1, who) as (target, pids):
        tokens = who.customers(args.attempts if args.join else max(1, args.attempts // 10))
        organizer = who.token("customer", "organizer")
        with Events(target, organizer, database_url) as events:
            opens_in = timedelta(hours=1) if args.join else timedelta(minutes=-1)
            event, seat_ids = events.create(args.seats, sale_opens_in=opens_in)
            warm, _ = events.create(args.seats, sale_opens_in=opens_in)
            if args.join:
                from benchmarks.waiting_room.run import Plan, configure  # noqa: PLC0415 - only here

                for queued in (event, warm):
                    asyncio.run(configure(target, organizer, queued, Plan()))
            OUT.parent.mkdir(parents=True, exist_ok=True)
            spy = subprocess.Popen(
                [
                    str(stack.BIN / "py-spy"),
                    "record",
                    "--pid",
                    str(pids[0]),
                    "--format",
                    "raw",
                    "--rate",
                    "250",
                    "--nonblocking",
                    "--output",
                    str(OUT),
                    *(["--native"] if args.native else []),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(1)
            figures = run_loadgen(
                "profiled",
                Load(
                    target,
                    event,
                    seat_ids,
                    tokens,
                    args.attempts,
                    args.concurrency,
                    warmup=1000,
                    warmup_event=warm,
                    call="join" if args.join else "hold",
                ),
            )
            spy.send_signal(signal.SIGINT)  # py-spy writes its output on an interrupt
            spy.wait(timeout=30)
    print(f"{figures.rps:,.0f} req/s, p95 {figures.p95_ms:.1f} ms, {figures.outcomes}")
    for frame, share in hottest(OUT.read_text(), args.top):
        print(f"{share:6.1%}  {frame}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
