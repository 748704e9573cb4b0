"""Flash-sale benchmark: the hold path beside its two references, loaded the same way in one run.

    source scripts/lib.sh && make up      # the stack under test
    .venv/bin/python -m benchmarks.flash_sale.run [--attempts 5000 --concurrency 200 --seats 200]

For each target, ghz (Go, so the load generator costs little of the two shared cores) fires the same
HoldSeats calls for random seats of a fresh 200-seat event: the no-op server, the raw claim server,
the booking server (with and without fast rejection, and as two processes sharing the port through
SO_REUSEPORT). The project's own Python client runs the same scenario for comparison. Tokens: the
per-customer limit is 20 seats, so the load comes from one ghz process per simulated customer group
(`--ghz-procs`, default 50, each with its own token). Prints figures and ratios; writes JSON to
var/reports/bench-flash-sale.json. Timings are for the record; nothing here asserts them."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import grpc
import psycopg
from apextick_client import bench
from apextick_client.auth import KeycloakTokenSource, TokenSource

from devstack.tokens import DevTokenSource

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
GHZ = ROOT / "var" / "bin" / "ghz"
PROTOSET = ROOT / "var" / "bench" / "apextick.binpb"
CALL = "apextick.inventory.v1.InventoryService.HoldSeats"
ROWS, PER_ROW = 10, 20


@dataclass
class Figures:
    name: str
    count: int
    seconds: float
    statuses: dict[str, int]
    p50: float
    p95: float
    p99: float

    @property
    def rps(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0


def build_protoset() -> None:
    PROTOSET.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [str(BIN / "buf"), "build", "--as-file-descriptor-set", "-o", str(PROTOSET)], cwd=ROOT, check=True
    )


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def ghz(name: str, target: str, event: str, tokens: list[str], attempts: int, concurrency: int) -> Figures:
    """One ghz process per token, all started together; per-request samples merged."""
    data = json.dumps(
        {
            "event": event,
            "seat_ids": [f"floor-R{{{{randomInt 1 {ROWS + 1}}}}}-{{{{randomInt 1 {PER_ROW + 1}}}}}"],
            "request_id": "{{newUUID}}",
        }
    )
    procs = []
    for token in tokens:
        command = [
            str(GHZ),
            "--insecure",
            "--protoset",
            str(PROTOSET),
            "--call",
            CALL,
            "-d",
            data,
            "-m",
            json.dumps({"authorization": f"Bearer {token}"}),
            "-c",
            str(concurrency // len(tokens)),
            "-n",
            str(attempts // len(tokens)),
            "--format",
            "json",
            target,
        ]
        procs.append(subprocess.Popen(command, stdout=subprocess.PIPE))
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    seconds = 0.0
    for proc in procs:
        out, _ = proc.communicate(timeout=600)
        report = json.loads(out)
        seconds = max(seconds, report["total"] / 1e9)
        for detail in report.get("details") or []:
            latencies.append(detail["latency"] / 1e6)
            statuses[detail["status"]] += 1
    return Figures(
        name,
        len(latencies),
        seconds,
        dict(statuses),
        percentile(latencies, 0.5),
        percentile(latencies, 0.95),
        percentile(latencies, 0.99),
    )


def start(command: list[str], env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(command, env={**os.environ, **env}, cwd=ROOT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            grpc.channel_ready_future(grpc.insecure_channel(f"127.0.0.1:{port}")).result(timeout=0.5)
            return proc
        except grpc.FutureTimeoutError:
            continue
    proc.kill()
    raise SystemExit(f"{command} did not start")


def sql_check(database_url: str, event: str) -> dict[str, int]:
    event_id = event.split("/")[1]
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM event_seat WHERE event_id = %(e)s AND status = 'HELD'),"
            " (SELECT count(*) FROM (SELECT seat FROM hold, unnest(seat_ids) seat WHERE event_id = %(e)s"
            "  AND status = 'ACTIVE' GROUP BY seat HAVING count(*) > 1) t)",
            {"e": event_id},
        ).fetchone()
    assert row is not None
    return {"seats_held": int(row[0]), "seats_held_twice": int(row[1])}


async def fresh_event(target: str, tokens: TokenSource) -> str:
    async with grpc.aio.insecure_channel(target) as channel:
        event, _ = await bench.create_event(channel, tokens.organizer(), ROWS * PER_ROW)
    return event


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--attempts", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--ghz-procs", type=int, default=50)
    parser.add_argument("--keycloak", default="", help="real Keycloak tokens; default: dev-key tokens")
    parser.add_argument(
        "--edge", default=f"http://127.0.0.1:{os.environ.get('APEXTICK_EDGE_REST_PORT', '8080')}"
    )
    parser.add_argument("--booking", default=f"127.0.0.1:{os.environ.get('APEXTICK_BOOKING_PORT', '50051')}")
    args = parser.parse_args()
    database_url = os.environ["APEXTICK_DATABASE_URL"]
    tokens: TokenSource = KeycloakTokenSource(args.keycloak) if args.keycloak else DevTokenSource()
    customer_tokens = tokens.customers(args.ghz_procs)
    build_protoset()
    booking_port = int(args.booking.rsplit(":", 1)[1])
    results: list[Figures] = []
    checks: dict[str, dict[str, int]] = {}
    helpers: list[subprocess.Popen[bytes]] = []
    python = str(BIN / "python")
    try:
        helpers.append(
            start([python, "-m", "benchmarks.flash_sale.reference_servers", "noop", "50061"], {}, 50061)
        )
        helpers.append(
            start([python, "-m", "benchmarks.flash_sale.reference_servers", "raw-claim", "50062"], {}, 50062)
        )
        slow_env = {
            "APEXTICK_BOOKING_PORT": "50063",
            "APEXTICK_FAST_REJECT": "0",
            "APEXTICK_LOG_LEVEL": "WARNING",
        }
        helpers.append(start([str(BIN / "apextick-booking"), "serve"], slow_env, 50063))
        plan = [
            ("noop reference", "127.0.0.1:50061"),
            ("raw claim reference", "127.0.0.1:50062"),
            ("booking", args.booking),
            ("booking, no fast reject", "127.0.0.1:50063"),
        ]
        for name, target in plan:
            event = asyncio.run(fresh_event(args.booking, tokens))
            results.append(ghz(name, target, event, customer_tokens, args.attempts, args.concurrency))
            if name.startswith("booking"):
                checks[name] = sql_check(database_url, event)
        second_env = {"APEXTICK_BOOKING_PORT": str(booking_port), "APEXTICK_LOG_LEVEL": "WARNING"}
        helpers.append(start([str(BIN / "apextick-booking"), "serve"], second_env, booking_port))
        event = asyncio.run(fresh_event(args.booking, tokens))
        results.append(
            ghz(
                "booking x2 (SO_REUSEPORT)",
                args.booking,
                event,
                customer_tokens,
                args.attempts,
                args.concurrency,
            )
        )
        checks["booking x2 (SO_REUSEPORT)"] = sql_check(database_url, event)
    finally:
        for proc in helpers:
            proc.terminate()
            proc.wait(timeout=20)
    scenario = bench.Scenario(
        seats=ROWS * PER_ROW, attempts=args.attempts, concurrency=args.concurrency, targets=(args.booking,)
    )
    python_client = asyncio.run(bench.run(scenario, database_url, tokens))
    via_edge = replace(scenario, rest_edge=args.edge)
    rest_client = asyncio.run(bench.run(via_edge, database_url, tokens))
    report(results, checks, python_client, rest_client)


def report(
    results: list[Figures],
    checks: dict[str, dict[str, int]],
    python_client: dict[str, Any],
    rest: dict[str, Any],
) -> None:
    by_name = {f.name: f for f in results}
    noop, raw, booking = by_name["noop reference"], by_name["raw claim reference"], by_name["booking"]
    print(f"{'target':<28}{'requests':>9}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}  statuses")
    for f in results:
        print(f"{f.name:<28}{f.count:>9}{f.rps:>9.0f}{f.p50:>9.1f}{f.p95:>9.1f}{f.p99:>9.1f}  {f.statuses}")
    for label, run in (("python client -> gRPC", python_client), ("python client -> REST edge", rest)):
        print(
            f"{label:<28}{run['attempts']:>9}{run['rps']:>9.0f}{run['p50_ms']:>9.1f}{run['p95_ms']:>9.1f}"
            f"{run['p99_ms']:>9.1f}  won {run['won']}, twice {run['seats_held_twice']},"
            f" errors {run['errors']}"
        )
    ratios = {
        "booking / raw claim": booking.rps / raw.rps if raw.rps else 0.0,
        "booking / noop": booking.rps / noop.rps if noop.rps else 0.0,
        "REST edge / direct gRPC (python client)": rest["rps"] / python_client["rps"]
        if python_client["rps"]
        else 0.0,
    }
    for label, value in ratios.items():
        print(f"{label:<28}{value:>9.2f}x")
    print(f"sql checks: {checks}")
    out = ROOT / "var" / "reports" / "bench-flash-sale.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "ghz": [{**f.__dict__, "rps": round(f.rps, 1)} for f in results],
                "python_client": python_client,
                "rest_edge": rest,
                "ratios": ratios,
                "sql_checks": checks,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
