"""`apextick`: the ApexTick command line.

apextick bench flash-sale --seats 200 --attempts 5000 --concurrency 200 --json
apextick gate verify CODE --bundle bundle.json     (exit 0 only for a ticket to admit)
apextick queue verify EVENT --rest URL             (exit 0 only if the queue's order is the fair one)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from apextick_client.auth import KeycloakTokenSource, TokenSource, registered_token_source
from apextick_client.keycloak import Keycloak
from apextick_client.running import run


def credentials_path() -> Path:
    return Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config")) / "apextick" / "credentials.json"


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
    flash.add_argument("--json", action="store_true", help="print one JSON object (progress goes to stderr)")
    flash.add_argument(
        "--keep-event",
        action="store_true",
        help="leave the sale's event on sale (default: cancel it once checked)",
    )
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
        help="real Keycloak tokens (bench customers are created); default: the installed `dev` token "
        "source (the development stack's local key)",
    )
    login = area.add_parser(
        "login", help="sign in against Keycloak (device flow; --user for the password grant)"
    )
    login.add_argument(
        "--keycloak", default=f"http://localhost:{os.environ.get('APEXTICK_IDENTITY_PORT', '8180')}"
    )
    login.add_argument("--user", help="password grant for this user; the password is read from stdin")
    gate = area.add_parser("gate").add_subparsers(dest="action", required=True)
    check = gate.add_parser("verify", help="verify a ticket code offline against a saved offline bundle")
    check.add_argument("code")
    check.add_argument("--bundle", required=True, type=Path, help="GetOfflineBundle's answer, as JSON")
    queue = area.add_parser("queue").add_subparsers(dest="action", required=True)
    proof = queue.add_parser("verify", help="recompute an event's queue order from its public data alone")
    proof.add_argument("event", help="events/{id} or the id")
    where = proof.add_mutually_exclusive_group(required=True)
    where.add_argument("--rest", help="the edge's REST URL, e.g. http://localhost:8080")
    where.add_argument("--grpc", help="a gRPC target, e.g. localhost:8081")
    args = parser.parse_args(argv)
    if args.area == "queue":
        _queue_verify(args.event, rest=args.rest or "", target=args.grpc or "")
        return
    if args.area == "login":
        _login(args.keycloak, args.user)
        return
    if args.area == "gate":
        _verify(parser, args.code, args.bundle)
        return
    _flash_sale(parser, args)


def _verify(parser: argparse.ArgumentParser, code: str, bundle_path: Path) -> None:
    try:
        from apextick_client import gate  # noqa: PLC0415 - needs the `gate` extra; --help must not
    except ImportError as missing:
        parser.error(f"offline verification needs the `gate` extra (apextick-client[gate]): {missing}")
    try:
        bundle = gate.load_bundle(bundle_path.read_text())
    except (OSError, ValueError) as unreadable:
        parser.error(f"cannot read the bundle {bundle_path}: {unreadable}")
    found = gate.verify_offline(code, bundle)
    print(json.dumps({"verdict": found.verdict.value, "ticket": found.ticket, "seatId": found.seat_id,
                      "bundleVersion": bundle.version}))  # fmt: skip
    if found.verdict is not gate.Verdict.VALID:
        raise SystemExit(1)


def _queue_verify(event: str, *, rest: str, target: str) -> None:
    from apextick_client.client import ApexTick  # noqa: PLC0415 - only this command needs the stubs
    from apextick_client.queue_proof import check  # noqa: PLC0415

    name = event if event.startswith("events/") else f"events/{event}"
    client = ApexTick(rest_url=rest, grpc_target=target)
    try:
        proof = check(client.queue(name), client.queue_entries(name))
    finally:
        client.close()
    print(json.dumps({"commitmentHolds": proof.commitment_holds, "entries": proof.entries,
                      "misplaced": proof.misplaced[:20], "fair": proof.holds}))  # fmt: skip
    if not proof.holds:
        raise SystemExit(1)


def _login(base_url: str, user: str | None) -> None:
    keycloak = Keycloak(base_url)
    if user:
        tokens = keycloak.password_grant(user, sys.stdin.readline().rstrip("\n"))
    else:
        tokens = keycloak.device_flow(
            lambda url, code: print(f"Open {url} and confirm the code {code}", flush=True)
        )
    path = credentials_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {
                "access_token": tokens.access_token,
                "refresh_token": tokens.refresh_token,
                "expires_at": tokens.expires_at,
            }
        )
    )
    path.chmod(0o600)
    print(f"signed in; token saved to {path}")


def _token_source(parser: argparse.ArgumentParser, keycloak: str) -> TokenSource:
    if keycloak:
        return KeycloakTokenSource(keycloak)
    source = registered_token_source("dev")
    if source is None:
        parser.error(
            "no token source: pass --keycloak URL (the `dev` source comes with the development stack)"
        )
    return source


def _flash_sale(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    database_url = os.environ.get("APEXTICK_DATABASE_URL", "")
    if not database_url:
        parser.error("APEXTICK_DATABASE_URL must be set: the results are checked in SQL")
    try:
        from apextick_client import bench  # noqa: PLC0415 - needs the `bench` extra; --help must not
    except ImportError as missing:
        parser.error(f"the bench needs the `bench` extra (pip install 'apextick-client[bench]'): {missing}")
    scenario = bench.Scenario(
        seats=args.seats,
        attempts=args.attempts,
        concurrency=args.concurrency,
        targets=tuple(t.strip() for t in args.target.split(",") if t.strip()),
        seats_per_hold=args.seats_per_hold,
        one_seat=args.one_seat,
        rest_edge=args.rest.rstrip("/"),
    )
    tokens = _token_source(parser, args.keycloak)
    result = run(bench.run(scenario, database_url, tokens, _progress, keep_event=args.keep_event))
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>26}: {value}")
    if result["violations"]:
        _progress(f"VIOLATED: {'; '.join(result['violations'])}")
        sys.exit(1)


def _progress(text: str) -> None:
    """Progress goes to stderr, so --json output on stdout stays one clean document."""
    print(f"[apextick bench {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)
