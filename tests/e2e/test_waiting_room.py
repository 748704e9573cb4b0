"""The waiting room end to end on the real booking server, PostgreSQL and Redis: a fair order anyone
can recompute, one place per identity, no hold without a valid pass, the outflow at the set rate,
and a Redis restart that neither speeds the door up nor loses a pass."""

from __future__ import annotations

import asyncio
import json
import random
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import grpc
import psycopg
import pytest
from apextick.inventory.v1 import inventory_service_pb2 as inv
from apextick.waitingroom.v1 import waiting_room_service_pb2 as wr
from apextick.waitingroom.v1 import waiting_room_service_pb2_grpc as wr_grpc
from apextick_client.queue_proof import check, recomputed_order
from google.protobuf import json_format

from apextick_platform.identity import Principal
from booking.bootstrap import Container
from booking.domain.waiting_room import QueuePass, pseudonym, sign_pass
from booking.entrypoints.grpc.server import BookingServer
from booking.service_layer.waiting_room_use_cases import WAITING_FRESH
from tests.e2e.conftest import Identity
from tests.e2e.payment_support import QUEUE_PASS_SECRET
from tests.e2e.queue_support import MovableClock, customer, event_id, queued_event, rooms_on, sale_start
from tests.e2e.support import rich_error, rid

if TYPE_CHECKING:
    from apextick.catalog.v1 import catalog_service_pb2_grpc as catalog_grpc
    from apextick.inventory.v1 import inventory_service_pb2_grpc as inventory_grpc

    Catalog = catalog_grpc.CatalogServiceAsyncStub
    Inventory = inventory_grpc.InventoryServiceAsyncStub

ROOT = Path(__file__).resolve().parents[2]
ARRIVALS = 20_000


@pytest.fixture(scope="module")
def rooms(channel: grpc.aio.Channel) -> wr_grpc.WaitingRoomServiceAsyncStub:
    return wr_grpc.WaitingRoomServiceStub(channel)


async def published(rooms: wr_grpc.WaitingRoomServiceAsyncStub, name: str) -> tuple[dict, list[dict]]:  # type: ignore[type-arg]
    queue = (await rooms.GetQueue(wr.GetQueueRequest(event=name))).queue
    entries, token = [], ""
    while True:
        page = await rooms.ListQueueEntries(
            wr.ListQueueEntriesRequest(event=name, page_size=10_000, page_token=token)
        )
        entries += [json_format.MessageToDict(e) for e in page.entries]
        token = page.next_page_token
        if not token:
            return json_format.MessageToDict(queue), entries


async def test_twenty_thousand_arrivals_go_in_in_the_order_anyone_recomputes(
    booking_server: BookingServer[Container], catalog: Catalog, rooms: wr_grpc.WaitingRoomServiceAsyncStub,
    identity: Identity, database_url: str,
) -> None:  # fmt: skip
    built = await queued_event(
        catalog, rooms, identity.auth("organizer"), opens_in=timedelta(hours=1), rate=60_000
    )
    event = event_id(built)
    clock = MovableClock(sale_start(built) - timedelta(minutes=30))
    door = rooms_on(booking_server.container, clock)
    rng = random.Random(20_000)  # the seeded load: who arrives in what order, who retries, who leaves
    fans = [f"fan-{n:05d}" for n in range(ARRIVALS)]
    rng.shuffle(fans)
    plan = {fan: (rid(), rng.random() < 0.05) for fan in fans}  # each fan's request id, and a retry
    leaving = set(rng.sample(fans, 200))
    gate = asyncio.Semaphore(64)

    async def arrive(fan: str) -> None:
        """One customer through the real API, with their own token, as an app would."""
        request_id, retries = plan[fan]
        me = identity.auth("customer", subject=fan)
        join = wr.JoinQueueRequest(event=built.event.name, request_id=request_id)
        async with gate:
            placed = await rooms.JoinQueue(join, metadata=me)
            if retries:  # a retried join: the same place again
                assert (await rooms.JoinQueue(join, metadata=me)).place == placed.place
            if fan in leaving:
                await rooms.LeaveQueue(wr.LeaveQueueRequest(event=built.event.name), metadata=me)

    await asyncio.gather(*(arrive(fan) for fan in fans))
    before = (await rooms.GetQueue(wr.GetQueueRequest(event=built.event.name))).queue
    assert before.state == wr.QUEUE_STATE_PRE_QUEUE
    assert before.revealed_seed == ""  # the seed stays secret until the open
    assert len(before.commitment) == 64

    clock.now = sale_start(built)
    await door.door()  # the open: shuffle, reveal
    queue, entries = await published(rooms, built.event.name)
    assert queue["commitment"] == before.commitment
    proof = check(queue, entries)
    assert proof.holds, proof
    assert proof.entries == ARRIVALS - len(leaving)
    assert {e["pseudonym"] for e in entries} == {pseudonym(event, fan) for fan in fans if fan not in leaving}

    for _ in range(3):  # three more batches of 1,000 (60,000 a minute)
        clock.advance(1)
        await door.door()
    with psycopg.connect(database_url) as conn:
        admitted = [row[0] for row in conn.execute(
            "SELECT pseudonym FROM queue_entry WHERE event_id = %s AND admitted_at IS NOT NULL"
            " ORDER BY position",
            (event,),
        )]  # fmt: skip
    order = recomputed_order(bytes.fromhex(queue["revealedSeed"]), [e["pseudonym"] for e in entries])
    assert admitted == order[: len(admitted)]
    assert len(admitted) == 3000  # the bucket starts empty at the open: one batch of 1,000 a second

    verify = await asyncio.to_thread(
        subprocess.run,
        [str(Path(sys.executable).parent / "apextick"), "queue", "verify", built.event.name,
         "--grpc", f"127.0.0.1:{booking_server.port}"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert verify.returncode == 0, verify.stderr
    assert json.loads(verify.stdout) == {
        "commitmentHolds": True, "entries": ARRIVALS - len(leaving), "misplaced": [], "fair": True,
    }  # fmt: skip


async def test_one_place_per_identity_however_many_tabs(
    booking_server: BookingServer[Container], catalog: Catalog, rooms: wr_grpc.WaitingRoomServiceAsyncStub,
    identity: Identity, database_url: str,
) -> None:  # fmt: skip
    built = await queued_event(
        catalog, rooms, identity.auth("organizer"), opens_in=timedelta(hours=1), rate=600
    )
    me = identity.auth("customer", subject=f"tabs-{uuid.uuid4().hex[:8]}")
    tabs = [rid() for _ in range(10)]
    answers = await asyncio.gather(
        *(
            rooms.JoinQueue(wr.JoinQueueRequest(event=built.event.name, request_id=tab), metadata=me)
            for tab in tabs
        ),
        return_exceptions=True,
    )
    placed = [(tab, a) for tab, a in zip(tabs, answers, strict=True) if isinstance(a, wr.JoinQueueResponse)]
    assert len(placed) == 1, answers
    refused = [a for a in answers if isinstance(a, grpc.aio.AioRpcError)]
    assert len(refused) == 9
    assert {e.code() for e in refused} == {grpc.StatusCode.ALREADY_EXISTS}
    again = await rich_error(
        rooms.JoinQueue(wr.JoinQueueRequest(event=built.event.name, request_id=rid()), metadata=me)
    )
    assert (again.code, again.reason) == (grpc.StatusCode.ALREADY_EXISTS, "QUEUE_ALREADY_JOINED")
    winner, first = placed[0]
    retried = await rooms.JoinQueue(
        wr.JoinQueueRequest(event=built.event.name, request_id=winner), metadata=me
    )
    assert retried.place.pseudonym == first.place.pseudonym  # a retry answers the same place
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT count(*) FROM queue_entry WHERE event_id = %s", (event_id(built),)
        ).fetchone()
    assert rows == (1,)


async def test_joining_a_queue_that_is_off_is_refused(
    booking_server: BookingServer[Container], catalog: Catalog, rooms: wr_grpc.WaitingRoomServiceAsyncStub,
    identity: Identity,
) -> None:  # fmt: skip
    from tests.e2e.support import build_event  # noqa: PLC0415

    plain = await build_event(catalog, identity.auth("organizer"), "No queue", rows=1, per_row=2)
    refused = await rich_error(
        rooms.JoinQueue(
            wr.JoinQueueRequest(event=plain.event.name, request_id=rid()), metadata=identity.auth("customer")
        )
    )
    assert (refused.code, refused.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "QUEUE_CLOSED")
    late = await rich_error(
        rooms.ConfigureQueue(
            wr.ConfigureQueueRequest(event=plain.event.name, enabled=True, admissions_per_minute=60),
            metadata=identity.auth("organizer"),
        )
    )
    assert late.code in {
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.NOT_FOUND,
        grpc.StatusCode.FAILED_PRECONDITION,
    }


async def first_pass(
    rooms: wr_grpc.WaitingRoomServiceAsyncStub, name: str, me: tuple[tuple[str, str], ...]
) -> str:
    """The pass from the caller's position stream (it arrives once the door lets them in)."""
    stream = rooms.WatchQueuePosition(wr.WatchQueuePositionRequest(event=name), metadata=me)
    try:
        async for reading in stream:
            if reading.queue_pass:
                return reading.queue_pass
    finally:
        stream.cancel()
    raise AssertionError("the stream ended without a pass")


async def test_no_hold_without_a_valid_pass_and_one_hold_per_pass(
    booking_server: BookingServer[Container], catalog: Catalog, inventory: Inventory,
    rooms: wr_grpc.WaitingRoomServiceAsyncStub, identity: Identity,
) -> None:  # fmt: skip
    built = await queued_event(
        catalog, rooms, identity.auth("organizer"), opens_in=timedelta(seconds=3), rate=60_000
    )
    event, name = event_id(built), built.event.name
    alice, bob = f"alice-{uuid.uuid4().hex[:6]}", f"bob-{uuid.uuid4().hex[:6]}"
    as_alice, as_bob = identity.auth("customer", subject=alice), identity.auth("customer", subject=bob)
    for me in (as_alice, as_bob):
        await rooms.JoinQueue(wr.JoinQueueRequest(event=name, request_id=rid()), metadata=me)
    door = booking_server.container.waiting_room
    assert door is not None
    while (await rooms.GetQueue(wr.GetQueueRequest(event=name))).queue.admitted < 2:
        await door.door()  # the real clock: opens at the sale start, then admits both
        await asyncio.sleep(0.5)
    alices = await asyncio.wait_for(first_pass(rooms, name, as_alice), 10)

    def hold(me: tuple[tuple[str, str], ...], seat: str, queue_pass: str, request_id: str = "") -> object:
        request = inv.HoldSeatsRequest(
            event=name, seat_ids=[seat], request_id=request_id or rid(), queue_pass=queue_pass
        )
        return inventory.HoldSeats(request, metadata=me)

    forged = alices[:-4] + ("AAAA" if not alices.endswith("AAAA") else "BBBB")
    expired = sign_pass(QueuePass(uuid.uuid4(), event, alice, sale_start(built)), QUEUE_PASS_SECRET.encode())
    later = sale_start(built) + timedelta(hours=1)
    elsewhere = sign_pass(QueuePass(uuid.uuid4(), uuid.uuid4(), alice, later), QUEUE_PASS_SECRET.encode())
    refusals = {
        "no pass": (as_alice, "", "QUEUE_PASS_REQUIRED", grpc.StatusCode.FAILED_PRECONDITION),
        "forged": (as_alice, forged, "QUEUE_PASS_INVALID", grpc.StatusCode.PERMISSION_DENIED),
        "another user's": (as_bob, alices, "QUEUE_PASS_WRONG_USER", grpc.StatusCode.PERMISSION_DENIED),
        "another event's": (as_alice, elsewhere, "QUEUE_PASS_WRONG_EVENT", grpc.StatusCode.PERMISSION_DENIED),
        "expired": (as_alice, expired, "QUEUE_PASS_EXPIRED", grpc.StatusCode.FAILED_PRECONDITION),
    }
    for case, (me, token, reason, code) in refusals.items():
        refused = await rich_error(hold(me, "main-B-1", token))  # type: ignore[arg-type]
        assert (refused.code, refused.reason) == (code, reason), case
    request_id = rid()
    held = await hold(as_alice, "main-B-1", alices, request_id)  # type: ignore[misc]
    again = await hold(as_alice, "main-B-1", alices, request_id)  # type: ignore[misc]
    assert again.hold.name == held.hold.name  # a retry answers the same hold
    replayed = await rich_error(hold(as_alice, "main-B-2", alices))  # type: ignore[arg-type]
    assert (replayed.code, replayed.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "QUEUE_PASS_USED")
    await asyncio.sleep(WAITING_FRESH.total_seconds())  # the published figures are at most this old
    queue = (await rooms.GetQueue(wr.GetQueueRequest(event=name))).queue
    assert queue.passes_used == 1


async def run_door(container: Container, seconds: float) -> None:
    """The worker's own loop (booking.entrypoints.workers.waiting_room_door) for `seconds`."""
    from booking.entrypoints.workers import waiting_room_door  # noqa: PLC0415 - only these tests run it

    assert container.waiting_room is not None
    task = asyncio.create_task(waiting_room_door(container.waiting_room, interval=1.0, repair_every=2))
    await asyncio.sleep(seconds)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def line_up(
    container: Container, catalog: Catalog, rooms: wr_grpc.WaitingRoomServiceAsyncStub,
    organizer: tuple[tuple[str, str], ...], people: int, rate: int,
) -> tuple[uuid.UUID, str]:  # fmt: skip
    """A queued event opening in two seconds with `people` in its pre-queue."""
    built = await queued_event(catalog, rooms, organizer, opens_in=timedelta(seconds=2), rate=rate)
    door = container.waiting_room
    assert door is not None
    await asyncio.gather(*(door.join(customer(f"p{n}-{uuid.uuid4().hex[:6]}"), event_id(built), rid())
                           for n in range(people)))  # fmt: skip
    return event_id(built), built.event.name


def batches(database_url: str, event: uuid.UUID) -> list[tuple[datetime, int]]:
    with psycopg.connect(database_url) as conn:
        return list(conn.execute(
            "SELECT admitted_at, count(*) FROM queue_entry WHERE event_id = %s AND admitted_at IS NOT NULL"
            " GROUP BY 1 ORDER BY 1", (event,),
        ))  # fmt: skip


def outflow_per_minute(rows: list[tuple[datetime, int]]) -> float:
    """Admissions per minute between the first batch and the last (the first batch's own people came
    from the bucket's start, so they are not counted against the span)."""
    (first, _), (last, _) = rows[0], rows[-1]
    span = (last - first).total_seconds()
    return sum(count for _, count in rows[1:]) / span * 60


async def test_the_measured_outflow_is_the_set_rate(
    booking_server: BookingServer[Container], catalog: Catalog, rooms: wr_grpc.WaitingRoomServiceAsyncStub,
    identity: Identity, database_url: str,
) -> None:  # fmt: skip
    rate = 1200
    event, _ = await line_up(booking_server.container, catalog, rooms, identity.auth("organizer"), 1000, rate)
    await run_door(booking_server.container, 15)
    rows = batches(database_url, event)
    assert len(rows) >= 10
    measured = outflow_per_minute(rows)
    print(f"outflow: {measured:.1f} a minute against {rate} over {len(rows)} batches")  # noqa: T201 - pytest -s
    assert abs(measured - rate) / rate < 0.05, f"{measured:.0f} a minute against {rate}"


async def test_a_redis_restart_mid_queue_neither_speeds_the_door_nor_loses_a_pass(
    booking_server: BookingServer[Container], catalog: Catalog, rooms: wr_grpc.WaitingRoomServiceAsyncStub,
    identity: Identity, database_url: str, redis_url: str,
) -> None:  # fmt: skip
    import redis  # noqa: PLC0415

    from tests.faults.stack import services  # noqa: PLC0415

    rate, container = 1200, booking_server.container
    event, name = await line_up(container, catalog, rooms, identity.auth("organizer"), 1000, rate)
    runner = asyncio.create_task(run_door(container, 16))
    await asyncio.sleep(6)
    redis.Redis.from_url(redis_url).flushdb()  # the line's mirror gone...
    await asyncio.to_thread(services, "restart", "redis")  # ...and Redis itself down for a moment
    await runner
    rows = batches(database_url, event)
    measured = outflow_per_minute(rows)
    print(f"outflow through a Redis restart: {measured:.1f} a minute against {rate}")  # noqa: T201 - pytest -s
    assert measured <= rate * 1.05, f"{measured:.0f} a minute against {rate}"
    assert measured >= rate * 0.8  # and the door kept turning through it
    with psycopg.connect(database_url) as conn:
        admitted = conn.execute(
            "SELECT subject FROM queue_entry WHERE event_id = %s AND admitted_at IS NOT NULL", (event,)
        ).fetchall()
        passes = conn.execute(
            "SELECT subject, count(*) FROM queue_pass WHERE event_id = %s GROUP BY 1", (event,)
        ).fetchall()
    assert dict(passes) == {subject: 1 for (subject,) in admitted}  # every admitted identity: one pass
    door = container.waiting_room
    assert door is not None
    for (subject,) in admitted[:50]:
        assert (await door.standing(customer(subject), event)).queue_pass  # and it is still handed out
    assert await door.repair_line() >= 0
    queue = (await rooms.GetQueue(wr.GetQueueRequest(event=name))).queue
    assert await container.ports.queue_line.size(event) == queue.waiting  # type: ignore[union-attr]


async def test_an_unused_pass_sends_its_holder_to_the_back(
    booking_server: BookingServer[Container], catalog: Catalog, rooms: wr_grpc.WaitingRoomServiceAsyncStub,
    identity: Identity,
) -> None:  # fmt: skip
    built = await queued_event(
        catalog, rooms, identity.auth("organizer"), opens_in=timedelta(hours=1), rate=60, lifetime_s=30
    )
    event = event_id(built)
    clock = MovableClock(sale_start(built) - timedelta(minutes=1))
    door = rooms_on(booking_server.container, clock)
    first, second, third = (customer(f"back-{n}-{uuid.uuid4().hex[:6]}") for n in range(3))
    for who in (first, second, third):
        await door.join(who, event, rid())
    clock.now = sale_start(built)
    await door.door()  # the open
    admitted: list[Principal] = []
    while len(admitted) < 1:
        clock.advance(1)
        await door.door()
        admitted = [w for w in (first, second, third) if (await door.standing(w, event)).queue_pass]
    (lucky,) = admitted
    clock.advance(31)  # the pass lapses unused
    await door.door()
    after = await door.standing(lucky, event)
    assert after.queue_pass == ""
    others = [w for w in (first, second, third) if w is not lucky]
    positions = {w.subject: (await door.standing(w, event)).position for w in (*others, lucky)}
    assert positions[lucky.subject] == max(positions.values())  # at the back, behind everyone waiting
    assert positions[lucky.subject] > 0


async def test_the_door_leaves_a_cancelled_event_or_an_ended_sale_alone(
    booking_server: BookingServer[Container], catalog: Catalog, rooms: wr_grpc.WaitingRoomServiceAsyncStub,
    identity: Identity,
) -> None:  # fmt: skip
    """A room is turned while its event sells: once the event is cancelled or its sale ends, the door
    neither opens nor admits from it (rooms would otherwise pile up, each turn slower than the last)."""
    from apextick.catalog.v1 import catalog_service_pb2 as cat  # noqa: PLC0415 - only this test

    organizer = identity.auth("organizer")
    cancelled, ended, selling = [
        await queued_event(catalog, rooms, organizer, opens_in=timedelta(hours=1), rate=60_000)
        for _ in range(3)
    ]
    clock = MovableClock(sale_start(selling) - timedelta(minutes=1))
    door = rooms_on(booking_server.container, clock)
    for built in (cancelled, ended, selling):
        await door.join(customer(f"door-{uuid.uuid4().hex[:6]}"), event_id(built), rid())
    await catalog.CancelEvent(
        cat.CancelEventRequest(name=cancelled.event.name, reason="storm", request_id=rid()),
        metadata=organizer,
    )
    clock.now = sale_start(selling) + timedelta(seconds=1)
    await door.door()  # the two selling rooms open (their buckets start empty); not the cancelled one
    clock.advance(1)
    await door.door()  # and admit their one each
    late = customer(f"late-{uuid.uuid4().hex[:6]}")
    await door.join(late, event_id(ended), rid())  # at the back of a room whose sale is about to end
    clock.now = ended.event.sale_end_time.ToDatetime(tzinfo=UTC) + timedelta(seconds=1)
    await door.door()  # the sale is over: the late arrival waits in a room nobody turns
    admitted = {
        name: (await rooms.GetQueue(wr.GetQueueRequest(event=built.event.name))).queue.admitted
        for name, built in (("cancelled", cancelled), ("ended", ended), ("selling", selling))
    }
    assert admitted == {"cancelled": 0, "ended": 1, "selling": 1}
