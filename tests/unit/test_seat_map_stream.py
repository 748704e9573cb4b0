"""WatchSeatMap's stream on the real hub (no Redis: changes are dispatched by hand): a quiet stream
sends heartbeats, a stream that falls behind ends with ABORTED STREAM_BEHIND instead of a silent OK,
and a caller may hold only so many streams."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from apextick.inventory.v1 import inventory_service_pb2 as svc

from apextick_platform import call_context
from apextick_platform.errors import DomainError, ErrorCode
from booking.adapters.redis_seats import CHANNEL, SeatChange, SeatChangeHub
from booking.domain.hold import SeatStatus
from booking.entrypoints.grpc.inventory_servicer import InventoryServicer, StreamQuota, WatchLimits

EVENT = uuid.uuid4()


class Statuses:
    async def seat_statuses(self, event_id: uuid.UUID) -> dict[str, str]:
        return {"A-1": "AVAILABLE", "A-2": "AVAILABLE"}


class Context:
    def invocation_metadata(self) -> tuple[tuple[str, str], ...]:
        return (("x-forwarded-for", "198.51.100.7, 10.0.0.1"),)

    def peer(self) -> str:
        return "ipv4:127.0.0.1:5555"


def servicer(hub: SeatChangeHub, **limits: Any) -> InventoryServicer:
    return InventoryServicer(Statuses(), hub, lambda: datetime.now(UTC), WatchLimits(**limits))  # type: ignore[arg-type]


def stream(watching: InventoryServicer) -> Any:
    call_context.begin(call_context.Call("req-1", None))
    return watching.WatchSeatMap(svc.WatchSeatMapRequest(event=f"events/{EVENT}"), Context()).__aiter__()


async def drain(messages: Any) -> None:
    while True:
        await asyncio.wait_for(anext(messages), 1)


def publish(hub: SeatChangeHub, seat: str) -> None:
    hub._dispatch(f"{CHANNEL}{EVENT}", SeatChange(EVENT, SeatStatus.HELD, (seat,), 0.0, "c").encode())


async def test_a_quiet_stream_sends_heartbeats_and_then_the_change() -> None:
    hub = SeatChangeHub(None, None)  # type: ignore[arg-type]
    messages = stream(servicer(hub, heartbeat_seconds=0.05))
    assert (await anext(messages)).WhichOneof("update") == "snapshot"
    assert (await anext(messages)).WhichOneof("update") == "heartbeat"
    publish(hub, "A-1")
    change = await anext(messages)
    while change.WhichOneof("update") == "heartbeat":
        change = await anext(messages)
    assert list(change.change.seat_ids) == ["A-1"]
    await messages.aclose()


async def test_a_stream_that_falls_behind_is_told_to_resync() -> None:
    hub = SeatChangeHub(None, None)  # type: ignore[arg-type]
    messages = stream(servicer(hub, backlog=2, heartbeat_seconds=5))
    await anext(messages)  # the snapshot; the client then reads nothing while changes pour in
    for n in range(5):
        publish(hub, f"A-{n}")
    with pytest.raises(DomainError) as behind:
        await drain(messages)
    assert behind.value.code is ErrorCode.STREAM_BEHIND


async def test_a_caller_holds_only_so_many_streams() -> None:
    hub = SeatChangeHub(None, None)  # type: ignore[arg-type]
    watching = servicer(hub, streams_per_caller=2, heartbeat_seconds=5)
    first, second, third = stream(watching), stream(watching), stream(watching)
    await anext(first)
    await anext(second)
    with pytest.raises(DomainError) as refused:
        await anext(third)
    assert refused.value.code is ErrorCode.RATE_LIMITED
    await first.aclose()  # a stream that ends gives its place back
    fourth = stream(watching)
    assert (await anext(fourth)).WhichOneof("update") == "snapshot"
    await second.aclose()
    await fourth.aclose()


def test_the_quota_counts_per_caller() -> None:
    quota = StreamQuota(1)
    with quota.held("a"), quota.held("b"), pytest.raises(DomainError), quota.held("a"):
        pass
    with quota.held("a"):
        pass  # released again
