"""The flash-sale proof: a fresh on-sale event, many concurrent hold attempts over gRPC, then the
database is asked what really happened. Correctness figures come from SQL, not from the client."""

from __future__ import annotations

import asyncio
import random
import statistics
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from typing import Any

import aiohttp
import grpc
import psycopg
from apextick.catalog.v1 import catalog_service_pb2 as cat
from apextick.catalog.v1 import catalog_service_pb2_grpc as cat_grpc
from apextick.catalog.v1 import event_pb2, venue_pb2
from apextick.inventory.v1 import inventory_service_pb2 as inv
from apextick.inventory.v1 import inventory_service_pb2_grpc as inv_grpc
from google.protobuf.timestamp_pb2 import Timestamp

from apextick_client.auth import TokenSource
from apextick_client.errors import from_rpc_error

SEATS_PER_ROW = 20
ROWS_PER_SECTION = 200  # the contract's limit: larger events get more sections


@dataclass(frozen=True)
class Scenario:
    seats: int
    attempts: int
    concurrency: int
    targets: tuple[str, ...]
    seats_per_hold: tuple[int, int] = (1, 1)  # inclusive range
    one_seat: bool = False  # every attempt claims the same seat
    channels_per_target: int = 4
    rest_edge: str = ""  # set: claims go through the REST edge (Envoy) instead of gRPC


@dataclass
class Outcomes:
    latencies_ms: list[float] = field(default_factory=list)
    won_holds: list[str] = field(default_factory=list)
    winners: list[tuple[str, str]] = field(default_factory=list)  # (hold name, the winner's token)
    seats_won: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)


def _stamp(value: datetime) -> Timestamp:
    result = Timestamp()
    result.FromDatetime(value)
    return result


def _sections(seats: int) -> list[venue_pb2.SectionSpec]:
    """`floor` (and `floor2`, `floor3`... past 4,000 seats) of rows R1, R2... with 20 seats each."""
    per_section = SEATS_PER_ROW * ROWS_PER_SECTION
    sections = []
    for index, start in enumerate(range(0, seats, per_section)):
        section_id = "floor" if index == 0 else f"floor{index + 1}"
        rows = venue_pb2.RowList(rows=_rows(min(per_section, seats - start)))
        sections.append(venue_pb2.SectionSpec(section_id=section_id, rows=rows))
    return sections


def _rows(seats: int) -> list[venue_pb2.RowSpec]:
    full, rest = divmod(seats, SEATS_PER_ROW)
    labels = [f"R{i + 1}" for i in range(full + (1 if rest else 0))]
    return [
        venue_pb2.RowSpec(label=label, seat_count=SEATS_PER_ROW if i < full else rest)
        for i, label in enumerate(labels)
    ]


async def create_event(
    channel: grpc.aio.Channel, organizer: str, seats: int, sale_opens_in: timedelta = timedelta(minutes=-1)
) -> tuple[str, list[str]]:
    """A fresh venue, seat map, one tier and an event on sale now (or from `sale_opens_in` on);
    returns its name and seat ids."""
    catalog = cat_grpc.CatalogServiceStub(channel)
    auth = (("authorization", f"Bearer {organizer}"),)
    now = datetime.now(UTC).replace(microsecond=0)
    venue = (
        await catalog.CreateVenue(
            cat.CreateVenueRequest(
                venue=venue_pb2.Venue(
                    display_name="Bench Arena", city="Benchville", country_code="LK", time_zone="UTC"
                ),
                request_id=str(uuid.uuid4()),
            ),
            metadata=auth,
        )
    ).venue
    sections = _sections(seats)
    seat_map = (
        await catalog.CreateSeatMap(
            cat.CreateSeatMapRequest(
                parent=venue.name, display_name="Bench", sections=sections, request_id=str(uuid.uuid4())
            ),
            metadata=auth,
        )
    ).seat_map
    event = (
        await catalog.CreateEvent(
            cat.CreateEventRequest(
                event=event_pb2.Event(
                    display_name=f"Flash sale {uuid.uuid4().hex[:6]}",
                    category="bench",
                    seat_map=seat_map.name,
                    start_time=_stamp(now + timedelta(days=7)),
                    end_time=_stamp(now + timedelta(days=7, hours=2)),
                    sale_start_time=_stamp(now + sale_opens_in),
                    sale_end_time=_stamp(now + timedelta(days=6)),
                    max_seats_per_customer=20,
                    currency_code="LKR",
                ),
                request_id=str(uuid.uuid4()),
            ),
            metadata=auth,
        )
    ).event
    await catalog.CreatePriceTier(
        cat.CreatePriceTierRequest(
            parent=event.name,
            price_tier_id="standard",
            request_id=str(uuid.uuid4()),
            price_tier=event_pb2.PriceTier(
                display_name="Standard", price_minor=500_000, section_ids=[s.section_id for s in sections]
            ),
        ),
        metadata=auth,
    )
    await catalog.PublishEvent(
        cat.PublishEventRequest(name=event.name, request_id=str(uuid.uuid4())), metadata=auth
    )
    seat_ids = [seat.seat_id for section in seat_map.sections for row in section.rows for seat in row.seats]
    return event.name, seat_ids


async def cancel_event(channel: grpc.aio.Channel, organizer: str, event: str) -> None:
    """A benchmark's event leaves the catalogue once its outcome is checked (its holds end with it)."""
    catalog = cat_grpc.CatalogServiceStub(channel)
    await catalog.CancelEvent(
        cat.CancelEventRequest(name=event, reason="benchmark finished", request_id=str(uuid.uuid4())),
        metadata=(("authorization", f"Bearer {organizer}"),),
    )


def _pick(scenario: Scenario, seat_ids: Sequence[str], rng: random.Random) -> list[str]:
    if scenario.one_seat:
        return [seat_ids[0]]
    low, high = scenario.seats_per_hold
    return rng.sample(list(seat_ids), rng.randint(low, high))


@dataclass
class Load:
    """What every simulated customer shares: where to call, what to claim, the work and the tally."""

    stubs: Sequence[inv_grpc.InventoryServiceAsyncStub]
    http: aiohttp.ClientSession | None
    event: str
    seat_ids: Sequence[str]
    scenario: Scenario
    queue: asyncio.Queue[int]
    start: asyncio.Event
    out: Outcomes


async def _attempt_grpc(load: Load, token: str, seats: list[str], rng: random.Random) -> None:
    out = load.out
    stub = load.stubs[rng.randrange(len(load.stubs))]
    request = inv.HoldSeatsRequest(event=load.event, seat_ids=seats, request_id=str(uuid.uuid4()))
    try:
        reply = await stub.HoldSeats(request, metadata=(("authorization", f"Bearer {token}"),), timeout=30)
        out.won_holds.append(reply.hold.name)
        out.winners.append((reply.hold.name, token))
        out.seats_won += len(reply.hold.seats)
    except grpc.aio.AioRpcError as error:
        failure = from_rpc_error(error)
        bucket = out.rejected if failure.code is grpc.StatusCode.ABORTED else out.errors
        bucket[failure.reason] += 1


async def _attempt_rest(load: Load, token: str, seats: list[str]) -> None:
    out, session = load.out, load.http
    assert session is not None  # noqa: S101 - set whenever the scenario goes through the edge
    url = f"{load.scenario.rest_edge}/v1/{load.event}/holds"
    body = {"seatIds": seats, "requestId": str(uuid.uuid4())}
    async with session.post(url, json=body, headers={"authorization": f"Bearer {token}"}) as response:
        payload = (
            await response.json(content_type=None) if response.status != HTTPStatus.TOO_MANY_REQUESTS else {}
        )
    if response.status == HTTPStatus.OK:
        out.won_holds.append(payload["hold"]["name"])
        out.winners.append((payload["hold"]["name"], token))
        out.seats_won += len(payload["hold"]["seats"])
        return
    details = payload.get("details") or [{}] if isinstance(payload, dict) else [{}]
    reason = details[0].get("reason") or f"HTTP_{response.status}"
    bucket = out.rejected if response.status == HTTPStatus.CONFLICT else out.errors
    bucket[reason] += 1


async def _client(load: Load, token: str, rng: random.Random) -> None:
    await load.start.wait()
    while True:
        try:
            load.queue.get_nowait()
        except asyncio.QueueEmpty:
            return
        seats = _pick(load.scenario, load.seat_ids, rng)
        began = time.perf_counter()
        if load.http is not None:
            await _attempt_rest(load, token, seats)
        else:
            await _attempt_grpc(load, token, seats, rng)
        load.out.latencies_ms.append((time.perf_counter() - began) * 1000)


def _percentile(samples: Sequence[float], q: float) -> float:
    if not samples:
        return 0.0
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def check_in_sql(database_url: str, event: str, won_holds: Sequence[str]) -> dict[str, int]:
    """Ask PostgreSQL: seats in more than one active hold, holds missing any of their seats, seats
    HELD, and acknowledged holds the database does not have."""
    event_id = event.split("/")[1]
    hold_ids = [name.split("/")[1] for name in won_holds]
    with psycopg.connect(database_url) as conn:
        twice = conn.execute(
            "SELECT count(*) FROM (SELECT seat FROM hold, unnest(seat_ids) AS seat "
            "WHERE event_id = %s AND status = 'ACTIVE' GROUP BY seat HAVING count(*) > 1) AS t",
            (event_id,),
        ).fetchone()
        partial = conn.execute(
            "SELECT count(*) FROM hold h WHERE h.event_id = %s AND h.status = 'ACTIVE' AND EXISTS ("
            " SELECT 1 FROM unnest(h.seat_ids) AS s WHERE NOT EXISTS ("
            "  SELECT 1 FROM event_seat e WHERE e.event_id = h.event_id AND e.seat_id = s"
            "  AND e.hold_id = h.id AND e.status = 'HELD'))",
            (event_id,),
        ).fetchone()
        held = conn.execute(
            "SELECT count(*) FROM event_seat WHERE event_id = %s AND status = 'HELD'", (event_id,)
        ).fetchone()
        known = conn.execute(
            "SELECT count(*) FROM hold WHERE id = ANY(%s::uuid[]) AND status = 'ACTIVE'", (hold_ids,)
        ).fetchone()
    return {
        "seats_held_twice": int(twice[0]) if twice else -1,
        "partial_holds": int(partial[0]) if partial else -1,
        "seats_held_in_db": int(held[0]) if held else -1,
        "lost_acknowledged_holds": len(hold_ids) - (int(known[0]) if known else 0),
    }


Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


def violations(result: dict[str, Any]) -> list[str]:
    """The correctness figures a sale must meet, whatever its speed: no seat in two holds, no hold
    missing a seat, no acknowledged hold lost, every seat won held in the database, every answer a
    hold or a clean rejection, every attempt answered."""
    found = [
        f"{key} = {result[key]}"
        for key in ("seats_held_twice", "partial_holds", "lost_acknowledged_holds", "errors")
        if result[key]
    ]
    if result["seats_won"] != result["seats_held_in_db"]:
        found.append(f"seats won {result['seats_won']} but {result['seats_held_in_db']} held in the database")
    if result["won"] + result["rejected"] + result["errors"] != result["attempts"]:
        found.append("not every attempt was answered")
    return found


async def run(
    scenario: Scenario,
    database_url: str,
    tokens: TokenSource,
    progress: Progress = _quiet,
    *,
    keep_event: bool = False,
) -> dict[str, Any]:
    """The sale, checked; then its event is cancelled (unless `keep_event`), so a browsed catalogue does
    not fill with benchmark events. `violations` lists what failed (empty: correct)."""
    organizer = tokens.organizer()
    result, _ = await run_sale(scenario, database_url, tokens, progress, organizer=organizer)
    result["violations"] = violations(result)
    if not keep_event:
        progress(f"cancelling {result['event']}")
        async with grpc.aio.insecure_channel(scenario.targets[0]) as channel:
            await cancel_event(channel, organizer, result["event"])
    return result


async def run_sale(
    scenario: Scenario,
    database_url: str,
    tokens: TokenSource,
    progress: Progress = _quiet,
    *,
    organizer: str = "",
) -> tuple[dict[str, Any], Outcomes]:
    """The flash sale, its figures and the raw outcomes (who won which hold), for scenarios that go on
    to check out the winners."""
    channels = [
        grpc.aio.insecure_channel(t) for t in scenario.targets for _ in range(scenario.channels_per_target)
    ]
    session = None
    if scenario.rest_edge:
        connector = aiohttp.TCPConnector(limit=scenario.concurrency)
        session = aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30))
    try:
        progress(f"creating a {scenario.seats}-seat event on sale now")
        event, seat_ids = await create_event(channels[0], organizer or tokens.organizer(), scenario.seats)
        stubs = [inv_grpc.InventoryServiceStub(c) for c in channels]
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(scenario.attempts):
            queue.put_nowait(i)
        out = Outcomes()
        load = Load(stubs, session, event, seat_ids, scenario, queue, asyncio.Event(), out)
        progress(f"getting {scenario.concurrency} customers' tokens")
        customers = await asyncio.to_thread(tokens.customers, scenario.concurrency)
        workers = [
            asyncio.create_task(_client(load, token, random.Random(i))) for i, token in enumerate(customers)
        ]
        await asyncio.sleep(0.05)  # every client is waiting: release them together
        progress(f"firing {scenario.attempts} attempts from {scenario.concurrency} customers")
        began = time.perf_counter()
        load.start.set()
        await asyncio.gather(*workers)
        elapsed = time.perf_counter() - began
    finally:
        for channel in channels:
            await channel.close(None)
        if session is not None:
            await session.close()
    progress("checking the outcome in PostgreSQL")
    return _figures(scenario, event, out, database_url, elapsed), out


def _figures(
    scenario: Scenario, event: str, out: Outcomes, database_url: str, elapsed: float
) -> dict[str, Any]:
    lat = out.latencies_ms
    return {
        "event": event,
        "seats": scenario.seats,
        "attempts": scenario.attempts,
        "concurrency": scenario.concurrency,
        "targets": list(scenario.targets),
        "via": f"REST {scenario.rest_edge}" if scenario.rest_edge else "gRPC",
        "won": len(out.won_holds),
        "seats_won": out.seats_won,
        "rejected": sum(out.rejected.values()),
        "rejected_by_reason": dict(out.rejected),
        "errors": sum(out.errors.values()),
        "errors_by_reason": dict(out.errors),
        **check_in_sql(database_url, event, out.won_holds),
        "duration_s": round(elapsed, 3),
        "rps": round(len(lat) / elapsed, 1) if elapsed else 0.0,
        "p50_ms": round(_percentile(lat, 0.50), 2),
        "p95_ms": round(_percentile(lat, 0.95), 2),
        "p99_ms": round(_percentile(lat, 0.99), 2),
        "mean_ms": round(statistics.fmean(lat), 2) if lat else 0.0,
    }
