"""`apextick`: the ApexTick command line.

apextick bench flash-sale --seats 200 --attempts 5000 --concurrency 200 --json
"""

from __future__ import annotations

import argparse
import json
import os

import uvloop

from apextick_client import bench
from apextick_client.auth import DevTokenSource, KeycloakTokenSource, TokenSource


def _seat_range(text: str) -> tuple[int, int]:
    low, _, high = text.partition("-")
    return int(low), int(high or low)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="apextick", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    area = parser.add_subparsers(dest="area", required=True)
    bench_parser = area.add_parser("bench").add_subparsers(dest="scenario", required=True)
    flash = bench_parser.add_parser("flash-sale", help="many customers claim the seats of one event at once")
    flash.add_argument("--seats", type=int, default=200)
    flash.add_argument("--attempts", type=int, default=5000)
    flash.add_argument("--concurrency", type=int, default=200)
    flash.add_argument(
        "--target",
        default=f"127.0.0.1:{os.environ.get('APEXTICK_BOOKING_PORT', '50051')}",
        help="booking gRPC address; several, comma-separated, spread the load",
    )
    flash.add_argument("--seats-per-hold", type=_seat_range, default=(1, 1), metavar="N or LOW-HIGH")
    flash.add_argument("--one-seat", action="store_true", help="every attempt claims the same seat")
    flash.add_argument("--json", action="store_true", help="print one JSON object")
    flash.add_argument(
        "--rest",
        metavar="EDGE_URL",
        default="",
        help="claim through the REST edge (e.g. http://127.0.0.1:8080) instead of gRPC",
    )
    flash.add_argument(
        "--keycloak",
        metavar="URL",
        default="",
        help="real Keycloak tokens (bench customers are created); default: dev-key tokens",
    )
    args = parser.parse_args(argv)

    database_url = os.environ.get("APEXTICK_DATABASE_URL", "")
    if not database_url:
        parser.error("APEXTICK_DATABASE_URL must be set: the results are checked in SQL")
    scenario = bench.Scenario(
        seats=args.seats,
        attempts=args.attempts,
        concurrency=args.concurrency,
        targets=tuple(t.strip() for t in args.target.split(",") if t.strip()),
        seats_per_hold=args.seats_per_hold,
        one_seat=args.one_seat,
        rest_edge=args.rest.rstrip("/"),
    )
    tokens: TokenSource = KeycloakTokenSource(args.keycloak) if args.keycloak else DevTokenSource()
    result = uvloop.run(bench.run(scenario, database_url, tokens))
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>26}: {value}")
