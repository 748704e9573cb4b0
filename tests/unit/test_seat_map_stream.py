"""WatchSeatMap's stream on the real hub and fan-out (no Redis: changes are dispatched by hand, and
ticks are flushed by hand): changes within a tick arrive as one delta with each seat's latest
status, encoded once for every watcher; a quiet stream sends heartbeats; a stream that falls behind
ends with ABORTED STREAM_BEHIND instead of a silent OK; a caller may hold only so many streams."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from apextick.catalog.v1 import event_pb2
from apextick.inventory.v1 import inventory_service_pb2 as svc

from apextick_platform import call_context
from apextick_platform.errors import DomainError, ErrorCode
from booking.adapters.redis_seats import CHANNEL, SeatChange, SeatChangeHub
from booking.domain.hold import SeatStatus
from booking.domain.seat_feed import TickPolicy
from booking.entrypoints.grpc.inventory_servicer import SeatMapStreams, StreamQuota, WatchLimits
from booking.entrypoints.grpc.seat_map_fanout import SeatMapFanout

EVENT = uuid.uuid4()


class Statuses:
    async def seat_statuses(self, event_id: uuid.UUID) -> dict[str, str]:
        return {"A-1": "AVAILABLE", "A-2": "AVAILABLE"}


class Context:
    def invocation_metadata(self) -> tuple[tuple[str, str], ...]:
        return (("x-forwarded-for", "198.51.100.7, 10.0.0.1"),)

    def peer(self) -> str:
        return "ipv4:127.0.0.1:5555"


class Wiring:
    def __init__(self, **limits: Any) -> None:
        settings = WatchLimits(**limits)
        self.fanout = SeatMapFanout(
            TickPolicy(), settings.backlog, settings.heartbeat_seconds, lambda: datetime.now(UTC)
        )
        self.hub = SeatChangeHub(None, [self.fanout.collect])  # type: ignore[arg-type]
        self.streams = SeatMapStreams(Statuses(), self.fanout, settings)

    def stream(self) -> Any:
        call_context.begin(call_context.Call("req-1", None))
        request = svc.WatchSeatMapRequest(event=f"events/{EVENT}")
        return self.streams.WatchSeatMap(request, Context()).__aiter__()

    def publish(self, status: SeatStatus, *seats: str) -> None:
        self.hub._dispatch(f"{CHANNEL}{EVENT}", SeatChange(EVENT, status, seats, 0.0, "c").encode())


def decoded(message: Any) -> svc.WatchSeatMapResponse:
    return svc.WatchSeatMapResponse.FromString(message) if isinstance(message, bytes) else message


async def test_changes_within_a_tick_arrive_as_one_delta_shared_by_every_watcher() -> None:
    wiring = Wiring(heartbeat_seconds=60)
    first, second = wiring.stream(), wiring.stream()
    assert decoded(await anext(first)).WhichOneof("update") == "snapshot"
    assert decoded(await anext(second)).WhichOneof("update") == "snapshot"
    wiring.publish(SeatStatus.HELD, "A-1", "A-2")
    wiring.publish(SeatStatus.AVAILABLE, "A-1")  # the same tick: only A-1's latest status is sent
    assert wiring.fanout.flush() == 2
    one, two = await anext(first), await anext(second)
    assert one is two  # encoded once, the same bytes for every stream
    delta = decoded(one).delta
    assert {(c.status, tuple(c.seat_ids)) for c in delta.changes} == {
        (event_pb2.SEAT_STATUS_HELD, ("A-2",)),
        (event_pb2.SEAT_STATUS_AVAILABLE, ("A-1",)),
    }
    await first.aclose()
    await second.aclose()
    assert wiring.fanout.watchers == 0


async def test_a_tick_with_no_change_sends_nothing_until_the_heartbeat_is_due() -> None:
    wiring = Wiring(heartbeat_seconds=0.05)
    messages = wiring.stream()
    await anext(messages)
    assert wiring.fanout.flush() == 0  # nothing changed, heartbeat not yet due
    await asyncio.sleep(0.06)
    assert wiring.fanout.flush() == 1
    assert decoded(await anext(messages)).WhichOneof("update") == "heartbeat"
    await messages.aclose()


async def test_changes_to_an_unwatched_event_are_not_kept() -> None:
    wiring = Wiring()
    wiring.publish(SeatStatus.HELD, "A-1")
    assert wiring.fanout.flush() == 0
    messages = wiring.stream()
    await anext(messages)
    assert wiring.fanout.flush() == 0  # the earlier change was dropped, not queued for later watchers
    await messages.aclose()


async def test_a_stream_that_falls_behind_is_told_to_resync() -> None:
    wiring = Wiring(backlog=2, heartbeat_seconds=60)
    messages = wiring.stream()
    await anext(messages)  # the snapshot; the client then reads nothing while ticks pour in
    for n in range(5):
        wiring.publish(SeatStatus.HELD, f"A-{n}")
        wiring.fanout.flush()
    with pytest.raises(DomainError) as behind:
        await anext(messages)
    assert behind.value.code is ErrorCode.STREAM_BEHIND


async def test_a_stream_within_the_backlog_gets_every_delta_in_order() -> None:
    wiring = Wiring(backlog=3, heartbeat_seconds=60)
    messages = wiring.stream()
    await anext(messages)
    for n in range(3):
        wiring.publish(SeatStatus.HELD, f"A-{n}")
        wiring.fanout.flush()
    seen = [list(decoded(await anext(messages)).delta.changes[0].seat_ids) for _ in range(3)]
    assert seen == [["A-0"], ["A-1"], ["A-2"]]
    await messages.aclose()


async def test_the_fanout_ticks_by_itself_once_started() -> None:
    wiring = Wiring(heartbeat_seconds=60)
    messages = wiring.stream()
    await anext(messages)
    wiring.fanout.start()
    try:
        wiring.publish(SeatStatus.BOOKED, "A-2")
        delta = decoded(await asyncio.wait_for(anext(messages), 2)).delta
        assert list(delta.changes[0].seat_ids) == ["A-2"]
    finally:
        await wiring.fanout.stop()
        await messages.aclose()


async def test_a_caller_holds_only_so_many_streams() -> None:
    wiring = Wiring(streams_per_caller=2, heartbeat_seconds=5)
    first, second, third = wiring.stream(), wiring.stream(), wiring.stream()
    await anext(first)
    await anext(second)
    with pytest.raises(DomainError) as refused:
        await anext(third)
    assert refused.value.code is ErrorCode.RATE_LIMITED
    await first.aclose()  # a stream that ends gives its place back
    fourth = wiring.stream()
    assert decoded(await anext(fourth)).WhichOneof("update") == "snapshot"
    await second.aclose()
    await fourth.aclose()


def test_the_quota_counts_per_caller() -> None:
    quota = StreamQuota(1)
    with quota.held("a"), quota.held("b"), pytest.raises(DomainError), quota.held("a"):
        pass
    with quota.held("a"):
        pass  # released again


class GatedStatuses:
    """A read that waits until let go, and counts itself."""

    def __init__(self) -> None:
        self.reads = 0
        self.gate = asyncio.Event()

    async def seat_statuses(self, event_id: uuid.UUID) -> dict[str, str]:
        self.reads += 1
        await self.gate.wait()
        return {"A-1": "AVAILABLE", "A-2": "AVAILABLE"}


def gated(wiring: Wiring) -> GatedStatuses:
    statuses = GatedStatuses()
    limits = WatchLimits(streams_per_caller=100, heartbeat_seconds=60)
    wiring.streams = SeatMapStreams(statuses, wiring.fanout, limits)
    return statuses


async def test_joiners_at_once_share_one_read_and_one_encoding() -> None:
    wiring = Wiring()
    statuses = gated(wiring)
    streams = [wiring.stream() for _ in range(50)]
    pending = [asyncio.ensure_future(anext(s)) for s in streams]
    await asyncio.sleep(0.01)
    statuses.gate.set()
    snapshots = await asyncio.gather(*pending)
    assert statuses.reads == 1
    assert all(s is snapshots[0] for s in snapshots)  # the same bytes for every joiner
    for s in streams:
        await s.aclose()


async def test_a_joiner_sharing_a_read_gets_the_deltas_published_since_it_began() -> None:
    wiring = Wiring()
    statuses = gated(wiring)
    first = wiring.stream()
    first_snapshot = asyncio.ensure_future(anext(first))
    await asyncio.sleep(0.01)  # the read has begun
    wiring.publish(SeatStatus.HELD, "A-1")
    wiring.fanout.flush()  # published while the read runs: the snapshot may predate it
    late = wiring.stream()
    late_snapshot = asyncio.ensure_future(anext(late))
    await asyncio.sleep(0.01)
    statuses.gate.set()
    await first_snapshot
    await late_snapshot
    assert statuses.reads == 1
    replayed = decoded(await asyncio.wait_for(anext(late), 1)).delta
    assert list(replayed.changes[0].seat_ids) == ["A-1"]  # the late joiner is rewound to the read's start
    await first.aclose()
    await late.aclose()


async def test_a_new_feed_of_the_event_reads_afresh() -> None:
    wiring = Wiring()
    statuses = gated(wiring)
    first = wiring.stream()
    waiting = asyncio.ensure_future(anext(first))
    await asyncio.sleep(0.01)
    waiting.cancel()  # the only watcher leaves while its read runs: the feed goes
    with contextlib.suppress(asyncio.CancelledError):
        await waiting
    await first.aclose()
    second = wiring.stream()
    again = asyncio.ensure_future(anext(second))
    await asyncio.sleep(0.01)
    statuses.gate.set()
    await again
    assert statuses.reads == 2
    await second.aclose()
