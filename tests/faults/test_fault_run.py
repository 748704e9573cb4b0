"""The short fault profile (part of `make test`): seeded mixed load from many customers through the
booking server's public gRPC interface, while faults hit the processes from outside:

- every PostgreSQL connection of the test database terminated (`pg_terminate_backend`);
- the booking server killed with SIGKILL and restarted on its port;
- Redis emptied (the hold TTL keys and the caches gone: no expiry event will ever come for them),
  then restarted;
- the worker frozen with SIGSTOP past the holds' TTL, then resumed, then killed with SIGKILL and
  restarted.

A second run kills the worker (its Redis listener and its sweeper) while 1,000 holds are about to
expire, and restarts it after their time: every one is released by the sweep, none early.

Then the run heals and quiesces, and the checkers read the invariants from PostgreSQL and the run's
history (every operation recorded as ok, fail or unknown). The figures, the seed, the faults and the
recovery times are printed and kept under var/reports/fault-short.json; only measured values go in."""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import grpc
import psycopg
import pytest
import redis
from apextick.catalog.v1 import catalog_service_pb2_grpc as catalog_grpc
from apextick.inventory.v1 import inventory_service_pb2 as inv
from apextick.inventory.v1 import inventory_service_pb2_grpc as inventory_grpc

from devstack.identity import DemoUser, JwksServer, SigningKey, access_claims
from tests.e2e.support import build_event
from tests.faults import checkers
from tests.faults.profile import CUSTOMERS, PROFILE, ROUNDS
from tests.faults.stack import ROOT, Stack, services

if TYPE_CHECKING:  # the async stub classes exist only in the .pyi stubs
    Inventory = inventory_grpc.InventoryServiceAsyncStub

# The long profile's ten rounds take longer than the suite's default per-test limit.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(240 * ROUNDS)]

SEED = int.from_bytes(uuid.uuid4().bytes[:4], "big")
HOLD_TTL = 3.0
UNKNOWN = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.INTERNAL,
           grpc.StatusCode.UNKNOWN, grpc.StatusCode.CANCELLED}  # fmt: skip


@dataclass
class History:
    """Every operation the clients made, as its outcome: ok (with the hold), fail (a clean refusal with
    its code), or unknown (the connection broke or the server erred: it may or may not have happened)."""

    acknowledged: list[checkers.Acknowledged] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)
    first_ok_after: dict[str, float] = field(default_factory=dict)
    faults: list[dict[str, object]] = field(default_factory=list)

    def fault(self, name: str, started: float, **figures: object) -> dict[str, object]:
        entry = {"fault": name, "at_s": round(time.monotonic() - started, 2), **figures}
        self.faults.append(entry)
        return entry


@pytest.fixture
def identity() -> Iterator[tuple[JwksServer, SigningKey]]:
    key = SigningKey.generate()
    server = JwksServer([key]).start()
    yield server, key
    server.stop()


@pytest.fixture
def stack(database_url: str, redis_url: str, identity: tuple[JwksServer, SigningKey]) -> Iterator[Stack]:
    running = Stack(database_url, redis_url, identity[0], HOLD_TTL)
    running.start("server")
    running.start("worker")
    yield running
    running.stop()


def token(identity: tuple[JwksServer, SigningKey], *roles: str) -> str:
    server, key = identity
    return key.sign(access_claims(DemoUser(f"fault-{uuid.uuid4().hex[:8]}", roles), server.issuer))


async def customer_loop(
    stub: Inventory, event: str, seats: list[str], bearer: str, history: History,
    rng: random.Random, finished: asyncio.Event,
) -> None:  # fmt: skip
    auth = (("authorization", f"Bearer {bearer}"),)
    while not finished.is_set():
        wanted = rng.sample(seats, rng.choice([1, 1, 2, 3]))
        request = inv.HoldSeatsRequest(event=event, seat_ids=wanted, request_id=str(uuid.uuid4()))
        try:
            reply = await stub.HoldSeats(request, metadata=auth, timeout=3)
        except grpc.aio.AioRpcError as error:
            kind = "unknown" if error.code() in UNKNOWN else "fail"
            history.outcomes[f"{kind}:{error.code().name}"] += 1
            await asyncio.sleep(rng.uniform(0.01, 0.1))
            continue
        history.outcomes["ok"] += 1
        hold_id = uuid.UUID(reply.hold.name.removeprefix("holds/"))
        history.acknowledged.append(checkers.Acknowledged(hold_id, tuple(wanted)))
        for name in list(history.first_ok_after):
            if history.first_ok_after[name] < 0:
                history.first_ok_after[name] = time.monotonic()
        if rng.random() < 0.4:
            release = inv.ReleaseHoldRequest(name=reply.hold.name, request_id=str(uuid.uuid4()))
            try:
                await stub.ReleaseHold(release, metadata=auth, timeout=3)
                history.outcomes["released"] += 1
            except grpc.aio.AioRpcError:
                history.outcomes["release-unknown"] += 1
        await asyncio.sleep(rng.uniform(0.01, 0.05))


def terminate_connections(database_url: str) -> int:
    with psycopg.connect(database_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return len(rows)


async def inject_faults(
    stack: Stack, redis_url: str, history: History, rng: random.Random, finished: asyncio.Event
) -> None:
    started = time.monotonic()
    for _ in range(ROUNDS):
        await fault_round(stack, redis_url, history, rng, started)
    await asyncio.sleep(2)  # load goes on after the last fault, so its recovery is seen
    finished.set()


async def fault_round(
    stack: Stack, redis_url: str, history: History, rng: random.Random, started: float
) -> None:
    await asyncio.sleep(2 + rng.uniform(0, 0.5))
    history.fault("pg_terminate_backend", started, connections=terminate_connections(stack.database_url))
    await asyncio.sleep(2.5)
    stack.kill("server")
    killed = time.monotonic()
    listen_s = await asyncio.to_thread(stack.start, "server")
    history.first_ok_after["sigkill"] = -1.0
    entry = history.fault("sigkill booking server", started, restart_listen_s=round(listen_s, 2))
    await asyncio.sleep(2)
    redis.Redis.from_url(redis_url).flushdb()
    history.fault("redis flushdb", started)
    history.fault("redis restart", started, restart_s=await asyncio.to_thread(services, "restart", "redis"))
    stack.pause("worker")
    history.fault("sigstop worker", started, for_s=HOLD_TTL + 2)
    await asyncio.sleep(HOLD_TTL + 2)
    stack.resume("worker")
    history.fault("sigcont worker", started)
    await asyncio.sleep(0.5)
    stack.kill("worker")
    stack.start("worker")
    history.fault("sigkill and restart worker", started)
    recovered = history.first_ok_after.get("sigkill", -1.0)
    entry["recovery_s"] = round(recovered - killed, 2) if recovered > 0 else None


async def quiesce(database_url: str, event_id: uuid.UUID, limit: float = 20.0) -> float:
    """Wait until no hold is active past its time (the sweeper's work after the worker resumed)."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        now = datetime.now(UTC)
        if checkers.stuck_holds(database_url, event_id, now, timedelta(seconds=1)) == 0:
            return time.monotonic() - started
        await asyncio.sleep(0.25)
    return time.monotonic() - started


async def test_the_short_fault_profile_loses_and_doubles_nothing(
    stack: Stack, identity: tuple[JwksServer, SigningKey], database_url: str, redis_url: str
) -> None:
    rng = random.Random(SEED)
    history = History()
    async with grpc.aio.insecure_channel(stack.target) as channel:
        organizer = (("authorization", f"Bearer {token(identity, 'customer', 'organizer')}"),)
        built = await build_event(
            catalog_grpc.CatalogServiceStub(channel), organizer, "Faults", rows=4, per_row=10
        )
        event_id = uuid.UUID(built.event.name.removeprefix("events/"))
        seats = [f"main-{row}-{n}" for row in "ABCD" for n in range(1, 11)]
        stub: Inventory = inventory_grpc.InventoryServiceStub(channel)
        finished = asyncio.Event()
        loops = [
            customer_loop(stub, built.event.name, seats, token(identity, "customer"), history,
                          random.Random(rng.random()), finished)
            for _ in range(CUSTOMERS)
        ]  # fmt: skip
        await asyncio.gather(inject_faults(stack, redis_url, history, rng, finished), *loops)
    quiet_s = await quiesce(database_url, event_id)
    now = datetime.now(UTC)
    figures = {
        "seats_held_twice": checkers.seats_held_twice(database_url, event_id),
        "partial_holds": checkers.partial_holds(database_url, event_id, now),
        "early_releases": checkers.early_releases(database_url, event_id),
        "stuck_holds": checkers.stuck_holds(database_url, event_id, now, timedelta(seconds=1)),
        "lost_acknowledged_holds": checkers.lost_acknowledged_holds(database_url, history.acknowledged),
        # Faults are answered UNAVAILABLE (retry) or with a refusal; an INTERNAL is a bug.
        "internal_errors": history.outcomes["unknown:INTERNAL"] + history.outcomes["unknown:UNKNOWN"],
    }
    report = {"profile": PROFILE, "seed": SEED, "faults": history.faults, "outcomes": dict(history.outcomes),
              "quiesce_s": round(quiet_s, 2), **figures}  # fmt: skip
    reports = ROOT / "var" / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    (reports / f"fault-{PROFILE}.json").write_text(json.dumps(report, indent=1))
    print(json.dumps(report))  # noqa: T201 - the run's report
    assert history.outcomes["ok"] > 0, "the load never got a hold through"
    assert figures == dict.fromkeys(figures, 0), report


@pytest.fixture
def slow_stack(database_url: str, redis_url: str, identity: tuple[JwksServer, SigningKey]) -> Iterator[Stack]:
    running = Stack(database_url, redis_url, identity[0], hold_ttl_seconds=8.0)
    running.start("server")
    running.start("worker")
    yield running
    running.stop()


async def test_a_thousand_holds_lapse_while_the_listener_is_dead(
    slow_stack: Stack, identity: tuple[JwksServer, SigningKey], database_url: str
) -> None:
    async with grpc.aio.insecure_channel(slow_stack.target) as channel:
        organizer = (("authorization", f"Bearer {token(identity, 'customer', 'organizer')}"),)
        catalog = catalog_grpc.CatalogServiceStub(channel)
        built = await build_event(catalog, organizer, "Lapse", rows=20, per_row=50)
        stub: Inventory = inventory_grpc.InventoryServiceStub(channel)
        seats = [f"main-{row}-{n}" for row in "ABCDEFGHIJKLMNOPQRST" for n in range(1, 51)]
        buyers = [token(identity, "customer") for _ in range(250)]  # four seats each: the event's limit
        gate = asyncio.Semaphore(50)

        async def hold(index: int) -> None:
            request = inv.HoldSeatsRequest(
                event=built.event.name, seat_ids=[seats[index]], request_id=str(uuid.uuid4())
            )
            async with gate:
                await stub.HoldSeats(
                    request, metadata=(("authorization", f"Bearer {buyers[index // 4]}"),), timeout=10
                )

        await asyncio.gather(*(hold(i) for i in range(1000)))
    slow_stack.kill("worker")  # no listener, no sweeper: the expiry events of Redis go to nobody
    event_id = uuid.UUID(built.event.name.removeprefix("events/"))
    with psycopg.connect(database_url) as conn:
        last_expiry = conn.execute(
            "SELECT max(expires_at) FROM hold WHERE event_id = %s AND status = 'ACTIVE'", (event_id,)
        ).fetchone()[0]  # type: ignore[index]
    await asyncio.sleep(max(0.0, (last_expiry - datetime.now(UTC)).total_seconds()) + 0.5)
    restarted = time.monotonic()
    slow_stack.start("worker")
    released_s = await quiesce(database_url, event_id, limit=30)
    now = datetime.now(UTC)
    figures = {
        "stuck_holds": checkers.stuck_holds(database_url, event_id, now, timedelta(seconds=0)),
        "early_releases": checkers.early_releases(database_url, event_id),
    }
    report = {"holds": 1000, "released_after_restart_s": round(time.monotonic() - restarted, 2),
              "quiesce_s": round(released_s, 2), **figures}  # fmt: skip
    (ROOT / "var" / "reports" / "fault-listener-kill.json").write_text(json.dumps(report, indent=1))
    print(json.dumps(report))  # noqa: T201 - the run's report
    assert figures == {"stuck_holds": 0, "early_releases": 0}, report
