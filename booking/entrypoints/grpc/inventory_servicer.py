"""InventoryService: holds and the live seat map. Protobuf in, use case, protobuf out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from apextick.catalog.v1 import event_pb2
from apextick.inventory.v1 import hold_pb2
from apextick.inventory.v1 import inventory_service_pb2 as svc
from apextick.inventory.v1 import inventory_service_pb2_grpc as svc_grpc

from apextick_platform import call_context
from apextick_platform.proto_time import stamp
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


class InventoryServicer(svc_grpc.InventoryServiceServicer):
    def __init__(self, holds: HoldUseCases, hub: SeatChangeHub, clock: Any) -> None:
        self._holds = holds
        self._hub = hub
        self._clock = clock

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
        async with self._hub.watch(
            event_id
        ) as watcher:  # subscribe before the snapshot: nothing slips between
            statuses = await self._holds.seat_statuses(event_id)
            snapshot = svc.SeatMapSnapshot(
                seats=[
                    svc.SeatStatusEntry(seat_id=seat, status=_status(status))
                    for seat, status in statuses.items()
                ]
            )
            yield svc.WatchSeatMapResponse(snapshot=snapshot)
            while not watcher.overflowed:
                change = await watcher.queue.get()
                yield svc.WatchSeatMapResponse(
                    change=svc.SeatChange(seat_ids=change.seat_ids, status=_status(change.status.value))
                )
