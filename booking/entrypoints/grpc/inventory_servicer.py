"""InventoryService: holds and the live seat map. Protobuf in, use case, protobuf out."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from apextick.catalog.v1 import event_pb2
from apextick.inventory.v1 import hold_pb2
from apextick.inventory.v1 import inventory_service_pb2 as svc
from apextick.inventory.v1 import inventory_service_pb2_grpc as svc_grpc

from apextick_platform import call_context
from apextick_platform.errors import DomainError, ErrorCode
from apextick_platform.proto_time import stamp, timestamp
from booking.adapters.redis_seats import SeatChangeHub
from booking.domain.hold import Hold
from booking.entrypoints.grpc import names
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
    backlog: int = 10_000  # changes a stream may lag behind before it is told to resync


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


def stream_behind() -> DomainError:
    return DomainError(
        ErrorCode.STREAM_BEHIND, "the stream fell behind the seat changes; reconnect for a fresh snapshot"
    )


def _snapshot(statuses: Mapping[str, str]) -> svc.SeatMapSnapshot:
    """Built in a worker thread: a 50,000-seat snapshot would hold the event loop for everyone."""
    return svc.SeatMapSnapshot(
        seats=[svc.SeatStatusEntry(seat_id=seat, status=_status(status)) for seat, status in statuses.items()]
    )


class InventoryServicer(svc_grpc.InventoryServiceServicer):
    def __init__(
        self, holds: HoldUseCases, hub: SeatChangeHub, clock: Any, limits: WatchLimits | None = None
    ) -> None:
        self._holds = holds
        self._hub = hub
        self._clock = clock
        self._limits = limits or WatchLimits()
        self._quota = StreamQuota(self._limits.streams_per_caller)

    def _message(self, hold: Hold) -> hold_pb2.Hold:
        return hold_message(hold, hold.state_at(self._clock()).value)

    async def HoldSeats(self, request: svc.HoldSeatsRequest, context: Context) -> svc.HoldSeatsResponse:
        hold = await self._holds.hold_seats(
            call_context.signed_in(),
            names.event_id(request.event, "event"),
            list(request.seat_ids),
            request.request_id,
        )
        return svc.HoldSeatsResponse(hold=self._message(hold))

    async def GetHold(self, request: svc.GetHoldRequest, context: Context) -> svc.GetHoldResponse:
        hold = await self._holds.get_hold(call_context.signed_in(), names.hold_id(request.name))
        return svc.GetHoldResponse(hold=self._message(hold))

    async def ReleaseHold(self, request: svc.ReleaseHoldRequest, context: Context) -> svc.ReleaseHoldResponse:
        hold = await self._holds.release_hold(
            call_context.signed_in(), names.hold_id(request.name), request.request_id
        )
        return svc.ReleaseHoldResponse(hold=self._message(hold))

    async def WatchSeatMap(
        self, request: svc.WatchSeatMapRequest, context: Context
    ) -> AsyncIterator[svc.WatchSeatMapResponse]:
        event_id = names.event_id(request.event, "event")
        # Subscribe before the snapshot, so nothing slips between the two.
        subscription = self._hub.watching(event_id, self._limits.backlog)
        with self._quota.held(caller_of(context)), subscription as watcher:
            statuses = await self._holds.seat_statuses(event_id)
            yield svc.WatchSeatMapResponse(snapshot=await asyncio.to_thread(_snapshot, statuses))
            while True:
                if watcher.overflowed:
                    raise stream_behind()  # not an OK end: the client must know to resync
                try:
                    change = await asyncio.wait_for(watcher.queue.get(), self._limits.heartbeat_seconds)
                except TimeoutError:
                    beat = svc.SeatMapHeartbeat(send_time=timestamp(self._clock()))
                    yield svc.WatchSeatMapResponse(heartbeat=beat)
                    continue
                yield svc.WatchSeatMapResponse(
                    change=svc.SeatChange(seat_ids=change.seat_ids, status=_status(change.status.value))
                )
