"""The proof, on every run: `apextick bench flash-sale` against real booking processes, with the
outcome checked in SQL. 5,000 attempts by 200 concurrent customers on 200 seats: every seat won
exactly once, every other attempt a clean SEAT_UNAVAILABLE, nothing else."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import psycopg
import pytest

from benchmarks.flash_sale.checks import GRPC_LOSER, REST_LOSER, check_booking
from benchmarks.flash_sale.events import Events
from benchmarks.flash_sale.generator import Load, run_loadgen
from benchmarks.flash_sale.stack import wait_listening
from devstack.identity import AUDIENCE
from edge.settings import EdgeSettings
from tests.e2e.conftest import Identity
from tests.e2e.edge_support import free_port, running_edge
from tests.e2e.support import HEADLINE, assert_every_seat_sold_once

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def key_file(identity: Identity, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test identity's signing key, for the bench CLI to mint its customers' tokens."""
    path = tmp_path_factory.mktemp("devauth") / "signing-key.pem"
    path.write_bytes(identity.key.private_pem)
    path.with_suffix(".kid").write_text(identity.key.kid)
    return path


@pytest.fixture(scope="module")
def start_booking(
    database_url: str, redis_url: str, identity: Identity
) -> Iterator[Callable[..., list[str]]]:
    """Starts real `apextick-booking serve` processes; stops them all at the end of the module."""
    processes: list[subprocess.Popen[bytes]] = []

    def start(
        count: int, *, fast_reject: bool = True, shared_port: bool = False, command: str = "serve"
    ) -> list[str]:
        """`shared_port`: every process binds one port (SO_REUSEPORT) and the kernel spreads the
        connections; otherwise each has its own and the client spreads them. `command` "seatmap"
        starts the live map's own process instead (every watcher from this one host: no quota)."""
        targets = []
        port = free_port()
        for _ in range(count):
            port = port if shared_port else free_port()
            env = {
                **os.environ,
                "APEXTICK_DATABASE_URL": database_url,
                "APEXTICK_REDIS_URL": redis_url,
                "APEXTICK_BOOKING_PORT": str(port),
                "APEXTICK_SEATMAP_PORT": str(port),
                "APEXTICK_WATCH_STREAMS_PER_CALLER": "100000",
                "APEXTICK_OIDC_ISSUER": identity.server.issuer,
                "APEXTICK_OIDC_JWKS_URL": identity.server.jwks_url,
                "APEXTICK_FAST_REJECT": "1" if fast_reject else "0",
                "APEXTICK_LOG_LEVEL": "WARNING",
            }
            process = subprocess.Popen([BIN / "apextick-booking", command], env=env, cwd=ROOT)  # noqa: S603
            processes.append(process)
            wait_listening(port, [process])  # this very process, even on a port another one shares
            targets.append(f"127.0.0.1:{port}")
        return sorted(set(targets))

    yield start
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(timeout=20)


REPORTS = ROOT / "var" / "reports"


def bench_cli(
    targets: list[str], database_url: str, identity: Identity, key_file: Path, *args: str
) -> subprocess.CompletedProcess[bytes]:
    env = {
        **os.environ,
        "APEXTICK_DATABASE_URL": database_url,
        "APEXTICK_DEV_KEY_FILE": str(key_file),
        "APEXTICK_OIDC_ISSUER": identity.server.issuer,
    }
    command = [str(BIN / "apextick"), "bench", "flash-sale", "--target", ",".join(targets), "--json", *args]
    return subprocess.run(command, env=env, cwd=ROOT, capture_output=True, check=False, timeout=300)  # noqa: S603


def edge_settings(identity: Identity, target: str, *more: str) -> EdgeSettings:
    """The edge in front of booking processes at `target` (and `more`), trusting the test identity."""

    def port(address: str) -> int:
        return int(address.rsplit(":", 1)[1])

    return EdgeSettings(
        booking_port=port(target),
        booking_extra_ports=tuple(port(address) for address in more),
        identity_port=identity.server.port,
        issuer=identity.server.issuer,
        audience=AUDIENCE,
    )


def event_status(database_url: str, event: str) -> str:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT status FROM event WHERE id = %s", (event.split("/")[1],)).fetchone()
    assert row is not None
    return str(row[0])


def flash_sale(
    name: str, targets: list[str], database_url: str, identity: Identity, key_file: Path, *args: str
) -> Any:
    """Run the CLI (it must exit 0: no correctness figure violated); keep its figures under var/reports
    (CI prints them after the suite)."""
    done = bench_cli(targets, database_url, identity, key_file, *args)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    result = json.loads(done.stdout)
    assert result["violations"] == []
    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / f"flash-sale-{name}.json").write_text(json.dumps(result, indent=1))
    return result


def assert_no_stuck_transactions(database_url: str) -> None:
    """No deadlock leaks: nothing idle in a transaction and no lock waiting once the load is over."""
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT count(*) FILTER (WHERE state = 'idle in transaction'),"
            " count(*) FILTER (WHERE wait_event_type = 'Lock')"
            " FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()
    assert row == (0, 0)


@pytest.mark.parametrize("fast_reject", [True, False], ids=["fast-reject", "postgres-only"])
def test_5000_attempts_200_clients_200_seats(
    start_booking: Callable[..., list[str]],
    database_url: str,
    identity: Identity,
    key_file: Path,
    fast_reject: bool,
) -> None:
    targets = start_booking(1, fast_reject=fast_reject)
    result = flash_sale(
        f"5000-200-200-{'fast-reject' if fast_reject else 'postgres-only'}",
        targets,
        database_url,
        identity,
        key_file,
        *HEADLINE,
    )
    assert_every_seat_sold_once(result)
    assert_no_stuck_transactions(database_url)


@pytest.mark.parametrize("processes", [2, 4])
def test_booking_processes_sharing_a_port_keep_exactly_one_winner_per_seat(
    start_booking: Callable[..., list[str]],
    database_url: str,
    identity: Identity,
    key_file: Path,
    processes: int,
) -> None:
    """The benchmark's process scale (1 is the headline above), each process with its own fast-reject
    view: PostgreSQL alone decides, so more processes never mean a seat held twice."""
    targets = start_booking(processes, shared_port=True)
    assert len(targets) == 1
    result = flash_sale(
        f"{processes}-processes",
        targets,
        database_url,
        identity,
        key_file,
        *HEADLINE,
    )
    assert_every_seat_sold_once(result)


def test_overlapping_multi_seat_holds_are_all_or_nothing(
    start_booking: Callable[..., list[str]], database_url: str, identity: Identity, key_file: Path
) -> None:
    targets = start_booking(1)
    result = flash_sale(
        "multi-seat",
        targets,
        database_url,
        identity,
        key_file,
        "--seats",
        "200",
        "--attempts",
        "3000",
        "--concurrency",
        "200",
        "--seats-per-hold",
        "2-4",
    )
    assert result["errors"] == 0  # no SEATS_BUSY, no deadlock
    assert result["partial_holds"] == 0
    assert result["seats_held_twice"] == 0
    assert result["seats_won"] == result["seats_held_in_db"] > 0
    assert result["won"] + result["rejected"] == 3000
    assert set(result["rejected_by_reason"]) <= {"SEAT_UNAVAILABLE"}
    assert_no_stuck_transactions(database_url)


def test_200_clients_released_together_on_one_seat_make_one_winner(
    start_booking: Callable[..., list[str]], database_url: str, identity: Identity, key_file: Path
) -> None:
    targets = start_booking(1, fast_reject=False)
    result = flash_sale(
        "one-seat",
        targets,
        database_url,
        identity,
        key_file,
        "--seats",
        "10",
        "--attempts",
        "200",
        "--concurrency",
        "200",
        "--one-seat",
    )
    assert (result["won"], result["rejected"], result["errors"]) == (1, 199, 0)
    assert result["seats_held_in_db"] == 1
    assert event_status(database_url, result["event"]) == "CANCELLED"  # checked, then taken off sale


def test_the_bench_reports_progress_apart_and_fails_a_violated_sale(
    start_booking: Callable[..., list[str]], database_url: str, identity: Identity, key_file: Path
) -> None:
    """21 seats per hold is over the contract's limit: every attempt is an error, not a clean
    rejection, so the sale is violated and the CLI says so by its exit code. Progress is on stderr and
    stdout stays one JSON document."""
    targets = start_booking(1)
    done = bench_cli(
        targets, database_url, identity, key_file,
        "--seats", "30", "--attempts", "40", "--concurrency", "10", "--seats-per-hold", "21-21",
        "--keep-event",
    )  # fmt: skip
    assert done.returncode == 1
    result = json.loads(done.stdout)
    assert result["errors"] == 40
    assert result["violations"] == ["errors = 40"]
    progress = done.stderr.decode()
    for phase in ("creating a 30-seat event", "firing 40 attempts", "checking the outcome", "VIOLATED"):
        assert phase in progress
    assert event_status(database_url, result["event"]) == "PUBLISHED"  # --keep-event


def test_the_proof_through_the_rest_edge(
    start_booking: Callable[..., list[str]],
    database_url: str,
    identity: Identity,
    key_file: Path,
    tmp_path: Path,
) -> None:
    """The same claim through Envoy: REST transcoding, JWT checks and the production rate limits."""
    target = start_booking(1)[0]
    settings = edge_settings(identity, target)
    with running_edge(settings, tmp_path) as edge:
        result = flash_sale(
            "rest-edge",
            [target],
            database_url,
            identity,
            key_file,
            *HEADLINE,
            "--rest",
            edge.rest,
        )
    assert_every_seat_sold_once(result)


def test_the_benchmark_generator_counts_every_answer_by_status_and_reason(
    start_booking: Callable[..., list[str]], database_url: str, identity: Identity, tmp_path: Path
) -> None:
    """The benchmark's Go generator (its own HTTP/2 client) against real booking and a real Envoy:
    its tally by status and ErrorInfo reason matches what PostgreSQL holds, directly and through the
    REST edge, and the benchmark's checker passes the sale (its failures are tested in tests/unit)."""
    target = start_booking(1)[0]
    organizer = identity.token("customer", "organizer")
    customers = [identity.token("customer") for _ in range(200)]
    events = Events(target, organizer, database_url)
    event, seat_ids = events.create(200)
    direct = run_loadgen("direct", Load(target, event, seat_ids, customers, 2000, 100, connections=8))
    # Seats are drawn at random, so a seat may go unasked: the exact split is what PostgreSQL holds.
    assert set(direct.outcomes) == {"OK", GRPC_LOSER}
    assert sum(direct.outcomes.values()) == 2000
    assert check_booking("direct", direct, database_url, event).correct
    settings = edge_settings(identity, target)
    with running_edge(settings, tmp_path) as edge:
        event, seat_ids = events.create(200)
        rest = run_loadgen(
            "rest", Load(edge.rest.split("//")[1], event, seat_ids, customers, 1000, 100, rest=True)
        )
    assert set(rest.outcomes) == {"OK", REST_LOSER}
    assert sum(rest.outcomes.values()) == 1000
    assert check_booking("rest", rest, database_url, event, rest=True).correct
    with events:  # leaving cancels the events, as the benchmark does
        pass


def test_the_edge_balances_over_booking_processes_on_their_own_ports(
    start_booking: Callable[..., list[str]], database_url: str, identity: Identity, tmp_path: Path
) -> None:
    """Two booking processes, each on its own port, behind one Envoy (booking_extra_ports): both take
    requests (Envoy's per-host counters say so) and the sale through them is exactly one winner per seat."""
    first, second = start_booking(2)
    settings = edge_settings(identity, first, second)
    customers = [identity.token("customer") for _ in range(200)]
    with Events(first, identity.token("customer", "organizer"), database_url) as events:
        event, seat_ids = events.create(200)
        with running_edge(settings, tmp_path) as edge:
            rest = run_loadgen(
                "rest", Load(edge.rest.split("//")[1], event, seat_ids, customers, 2000, 100, rest=True)
            )
            with urllib.request.urlopen(f"http://127.0.0.1:{edge.settings.admin_port}/clusters") as reply:
                counters = reply.read().decode()
        assert check_booking("rest", rest, database_url, event, rest=True).correct
    for target in (first, second):
        served = re.search(rf"^booking::{re.escape(target)}::rq_total::(\d+)$", counters, re.MULTILINE)
        assert served is not None, target
        assert int(served.group(1)) > 100, target


def test_watchers_through_the_edge_and_direct_follow_a_sale_from_the_seat_map_process(
    start_booking: Callable[..., list[str]], database_url: str, identity: Identity, tmp_path: Path
) -> None:
    """The live map during a sale, at a size CI affords: 2,000 attempts on 200 seats while 200
    watchers follow through the edge's REST stream (as browsers do) and, in a second sale, 200 over
    gRPC straight to the seat-map process. Every watcher sees every won seat and no other; Envoy's
    counters show the map's streams went to the seat-map process, not to booking."""
    (booking,) = start_booking(1)
    (seatmap,) = start_booking(1, command="seatmap")
    settings = replace(edge_settings(identity, booking), seatmap_port=int(seatmap.rsplit(":", 1)[1]))
    customers = [identity.token("customer") for _ in range(200)]
    with Events(booking, identity.token("customer", "organizer"), database_url) as events:
        (via_edge, seats), (direct, direct_seats) = events.create(200), events.create(200)
        with running_edge(settings, tmp_path) as edge:
            through_edge = Load(
                booking, via_edge, seats, customers, 2000, 100,
                watchers=200, watch_target=edge.rest.split("//")[1], watch_rest=True,
            )  # fmt: skip
            browsers = run_loadgen("rest", through_edge)
            with urllib.request.urlopen(f"http://127.0.0.1:{edge.settings.admin_port}/clusters") as reply:
                counters = reply.read().decode()
        stubs = run_loadgen(
            "grpc",
            Load(booking, direct, direct_seats, customers, 2000, 100, watchers=200, watch_target=seatmap),
        )
        for name, sale, event in (("via edge", browsers, via_edge), ("direct", stubs, direct)):
            verdict = check_booking(name, sale, database_url, event)
            assert verdict.correct, verdict.problems
            assert sale.extra["watch"]["deliveries"] == 200 * sale.ok  # type: ignore[index]
    streams = re.search(rf"^seatmap::{re.escape(seatmap)}::rq_total::(\d+)$", counters, re.MULTILINE)
    assert streams is not None
    assert int(streams.group(1)) == 200
