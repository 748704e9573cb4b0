"""InventoryService: holds and the live seat map. Protobuf in, use case, protobuf out."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections import Counter
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from apextick.catalog.v1 import event_pb2
from apextick.inventory.v1 import hold_pb2
from apextick.inventory.v1 import inventory_service_pb2 as svc
from apextick.inventory.v1 import inventory_service_pb2_grpc as svc_grpc

from apextick_platform import call_context
from apextick_platform.errors import DomainError, ErrorCode
from apextick_platform.proto_time import stamp
from booking.domain.best_available import Wish
from booking.domain.hold import Hold
from booking.entrypoints.grpc import names
from booking.entrypoints.grpc.counters import BookingCounters
from booking.entrypoints.grpc.seat_map_fanout import Cursor, SeatMapFanout
from booking.service_layer.best_available_use_cases import BestAvailableUseCases
from booking.service_layer.hold_use_cases import HoldUseCases

Context = Any


def hold_message(hold: Hold, now_state: str) -> hold_pb2.Hold:
    return hold_pb2.Hold(
        name=f"holds/{hold.id}",
        event=names.event_name(hold.event_id),
        seats=[
            hold_pb2.HeldSeat(seat_id=s.seat_id, price_tier_id=s.tier_id, price_minor=s.price_minor)
            for s in hold.seats
        ],
        total_minor=hold.total_minor,
        currency_code=hold.currency_code,
        expire_time=stamp(hold.expires_at),
        state=hold_pb2.HoldState.Value(f"HOLD_STATE_{now_state}"),
        customer=hold.customer,
        create_time=stamp(hold.created_at),
    )


def _status(value: str) -> event_pb2.SeatStatus.ValueType:
    return event_pb2.SeatStatus.Value(f"SEAT_STATUS_{value}")


@dataclass(frozen=True)
class WatchLimits:
    streams_per_caller: int = 16  # a caller is its subject when signed in, else its address
    heartbeat_seconds: float = 20.0  # well inside the edge's stream idle timeout
    backlog: int = 64  # deltas (one per tick) a stream may lag behind before it is told to resync


class StreamQuota:
    """Seat-map streams per caller in this process: one client cannot pin unbounded watchers."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._open: Counter[str] = Counter()

    @contextlib.contextmanager
    def held(self, caller: str) -> Iterator[None]:
        if self._open[caller] >= self._limit:
            raise DomainError(
                ErrorCode.RATE_LIMITED,
                f"at most {self._limit} seat-map streams at once",
                metadata={"limit": str(self._limit)},
            )
        self._open[caller] += 1
        try:
            yield
        finally:
            self._open[caller] -= 1
            if not self._open[caller]:
                del self._open[caller]


def caller_of(context: Context) -> str:
    """The signed-in subject, else the client address the edge recorded (its last X-Forwarded-For
    entry, which Envoy appends itself), else the connection's peer."""
    principal = call_context.principal()
    if principal is not None:
        return f"sub:{principal.subject}"
    for key, value in context.invocation_metadata() or ():
        if key == "x-forwarded-for" and isinstance(value, str):
            return "addr:" + value.rsplit(",", 1)[-1].strip()
    return f"peer:{context.peer()}"


def _snapshot(statuses: Mapping[str, str]) -> bytes:
    """Built in a worker thread: a 50,000-seat snapshot would hold the event loop for everyone."""
    seats = [svc.SeatStatusEntry(seat_id=seat, status=_status(status)) for seat, status in statuses.items()]
    return svc.WatchSeatMapResponse(snapshot=svc.SeatMapSnapshot(seats=seats)).SerializeToString()


class SeatStatuses(Protocol):
    async def seat_statuses(self, event_id: UUID) -> dict[str, str]: ...


class SharedSnapshots:
    """When a drop opens, thousands join one event's map within a second: they share one read of its
    statuses and one encoding instead of each reading Redis (10,000 at once exhausted its connection
    pool) and encoding alike. The read runs as a task of its own, so a joiner that leaves does not
    cancel it for the others. Each sharer's cursor is rewound to where the read began: a delta
    published while it ran may be missing from the snapshot."""

    def __init__(self, statuses: SeatStatuses) -> None:
        self._statuses = statuses
        self._reading: dict[object, tuple[int, asyncio.Task[bytes]]] = {}  # by feed

    async def read(self, event_id: UUID, cursor: Cursor) -> bytes:
        reading = self._reading.get(cursor.feed)
        if reading is None:
            task = asyncio.create_task(self._read(event_id, cursor.feed))
            task.add_done_callback(lambda done: done.cancelled() or done.exception())  # retrieved
            reading = self._reading[cursor.feed] = (cursor.position, task)
        start, task = reading
        cursor.rewind(start)
        return await asyncio.shield(task)

    async def _read(self, event_id: UUID, feed: object) -> bytes:
        try:
            statuses = await self._statuses.seat_statuses(event_id)
            return await asyncio.to_thread(_snapshot, statuses)
        finally:
            del self._reading[feed]


class SeatMapStreams:
    """WatchSeatMap, served by the booking server and by the seat-map process alike: a snapshot, then
    the fan-out's messages, already encoded (the call pipeline passes bytes through unserialized)."""

    def __init__(self, statuses: SeatStatuses, fanout: SeatMapFanout, limits: WatchLimits) -> None:
        self._snapshots = SharedSnapshots(statuses)
        self._fanout = fanout
        self._quota = StreamQuota(limits.streams_per_caller)

    async def WatchSeatMap(
        self, request: svc.WatchSeatMapRequest, context: Context
    ) -> AsyncIterator[svc.WatchSeatMapResponse | bytes]:
        event_id = names.event_id(request.event, "event")
        # Join the feed before the snapshot, so nothing slips between the two.
        with self._quota.held(caller_of(context)), self._fanout.watching(event_id) as cursor:
            yield await self._snapshots.read(event_id, cursor)
            while True:
                yield await cursor.next()


class InventoryServicer(svc_grpc.InventoryServiceServicer):
    def __init__(
        self,
        holds: HoldUseCases,
        streams: SeatMapStreams,
        clock: Any,
        counters: BookingCounters | None = None,
        best: BestAvailableUseCases | None = None,
    ) -> None:
        self._holds = holds
        self._best = best
        self._streams = streams
        self._clock = clock
        self._counters = counters or BookingCounters()

    def _message(self, hold: Hold) -> hold_pb2.Hold:
        return hold_message(hold, hold.state_at(self._clock()).value)

    async def HoldSeats(self, request: svc.HoldSeatsRequest, context: Context) -> svc.HoldSeatsResponse:
        # With best available on, a lost claim's answer names the nearest free seats of its tier.
        hold_seats = self._best.hold_or_offer if self._best is not None else self._holds.hold_seats
        hold = await hold_seats(
            call_context.signed_in(),
            names.event_id(request.event, "event"),
            list(request.seat_ids),
            request.request_id,
            request.queue_pass,
        )
        self._counters.seats_won(len(hold.seats))
        return svc.HoldSeatsResponse(hold=self._message(hold))

    async def HoldBestAvailable(
        self, request: svc.HoldBestAvailableRequest, context: Context
    ) -> svc.HoldBestAvailableResponse:
        if self._best is None:
            raise DomainError(ErrorCode.UNAVAILABLE, "best available is not served here")
        wish = Wish(request.quantity, request.together, request.price_tier_id, request.section_id)
        hold = await self._best.hold_best(
            call_context.signed_in(), names.event_id(request.event, "event"), wish, request.request_id,
            request.queue_pass, secrets.randbelow(1 << 30),
        )  # fmt: skip
        self._counters.seats_won(len(hold.seats))
        return svc.HoldBestAvailableResponse(hold=self._message(hold))

    async def GetHold(self, request: svc.GetHoldRequest, context: Context) -> svc.GetHoldResponse:
        hold = await self._holds.get_hold(call_context.signed_in(), names.hold_id(request.name))
        return svc.GetHoldResponse(hold=self._message(hold))

    async def ReleaseHold(self, request: svc.ReleaseHoldRequest, context: Context) -> svc.ReleaseHoldResponse:
        hold = await self._holds.release_hold(
            call_context.signed_in(), names.hold_id(request.name), request.request_id
        )
        return svc.ReleaseHoldResponse(hold=self._message(hold))

    def WatchSeatMap(  # type: ignore[override] # the pipeline passes encoded bytes through
        self, request: svc.WatchSeatMapRequest, context: Context
    ) -> AsyncIterator[svc.WatchSeatMapResponse | bytes]:
        return self._streams.WatchSeatMap(request, context)
