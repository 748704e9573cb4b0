"""WaitingRoomService: protobuf in, waiting room use cases, protobuf out. The position stream reads the
caller's standing every second and sends it when it changed (and every 15 s regardless, which keeps
the stream alive through the edge's idle timeout)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

from apextick.waitingroom.v1 import waiting_room_service_pb2 as wr
from apextick.waitingroom.v1 import waiting_room_service_pb2_grpc as wr_grpc
from google.protobuf.duration_pb2 import Duration

from apextick_platform import call_context
from apextick_platform.proto_time import stamp
from booking.entrypoints.grpc import names
from booking.service_layer.waiting_room_ports import Entry, Room
from booking.service_layer.waiting_room_use_cases import Reading, WaitingRoomUseCases, settings_from, state_of

Context = Any
READ_EVERY = 1.0
SAY_SOMETHING_EVERY = 15.0
STATES = {
    "OFF": wr.QUEUE_STATE_OFF,
    "PRE_QUEUE": wr.QUEUE_STATE_PRE_QUEUE,
    "OPEN": wr.QUEUE_STATE_OPEN,
    "CLOSED": wr.QUEUE_STATE_CLOSED,
}


def _duration(value: timedelta) -> Duration:
    duration = Duration()
    duration.FromTimedelta(value)
    return duration


def queue_message(room: Room, now: datetime) -> wr.Queue:
    opened = room.opened_at is not None
    return wr.Queue(
        event=f"events/{room.event_id}", state=STATES[state_of(room, now)],
        admissions_per_minute=room.settings.admissions_per_minute,
        pass_lifetime=_duration(room.settings.pass_lifetime), opens_at=stamp(room.opens_at),
        commitment=room.commitment, revealed_seed=room.seed.hex() if opened else "",
        pre_queue_size=room.pre_queue_size, waiting=room.waiting or 0, admitted=room.admitted,
        passes_used=room.passes_used or 0,
    )  # fmt: skip


def place_message(entry: Entry) -> wr.QueuePlace:
    return wr.QueuePlace(
        pseudonym=entry.pseudonym, pre_queue=entry.pre_queue, joined_at=stamp(entry.joined_at)
    )


def reading_message(reading: Reading, now: datetime) -> wr.WatchQueuePositionResponse:
    message = wr.WatchQueuePositionResponse(
        state=STATES[state_of(reading.room, now)], position=reading.position,
        estimated_wait=_duration(reading.estimated_wait), queue_pass=reading.queue_pass,
        commitment=reading.room.commitment, pass_expires_at=stamp(reading.pass_expires_at),
    )  # fmt: skip
    if reading.entry is not None and reading.entry.left_at is None:
        message.place.CopyFrom(place_message(reading.entry))
    return message


class WaitingRoomServicer(wr_grpc.WaitingRoomServiceServicer):
    def __init__(self, rooms: WaitingRoomUseCases) -> None:
        self._rooms = rooms

    @staticmethod
    def _now() -> datetime:
        return datetime.now(UTC)

    async def ConfigureQueue(
        self, request: wr.ConfigureQueueRequest, context: Context
    ) -> wr.ConfigureQueueResponse:
        lifetime = request.pass_lifetime.ToTimedelta() if request.HasField("pass_lifetime") else None
        settings = settings_from(
            enabled=request.enabled, rate=request.admissions_per_minute, lifetime=lifetime
        )
        room = await self._rooms.configure(
            call_context.signed_in(), names.event_id(request.event, "event"), settings
        )
        return wr.ConfigureQueueResponse(queue=queue_message(room, self._now()))

    async def GetQueue(self, request: wr.GetQueueRequest, context: Context) -> wr.GetQueueResponse:
        room = await self._rooms.room(names.event_id(request.event, "event"))
        return wr.GetQueueResponse(queue=queue_message(room, self._now()))

    async def JoinQueue(self, request: wr.JoinQueueRequest, context: Context) -> wr.JoinQueueResponse:
        entry = await self._rooms.join(
            call_context.signed_in(), names.event_id(request.event, "event"), request.request_id
        )
        return wr.JoinQueueResponse(place=place_message(entry))

    async def LeaveQueue(self, request: wr.LeaveQueueRequest, context: Context) -> wr.LeaveQueueResponse:
        await self._rooms.leave(call_context.signed_in(), names.event_id(request.event, "event"))
        return wr.LeaveQueueResponse()

    async def ListQueueEntries(
        self, request: wr.ListQueueEntriesRequest, context: Context
    ) -> wr.ListQueueEntriesResponse:
        page, token = await self._rooms.entries(
            names.event_id(request.event, "event"), request.page_size, request.page_token
        )
        entries = [wr.QueueEntry(pseudonym=pseudonym, rank=rank) for pseudonym, rank in page]
        return wr.ListQueueEntriesResponse(entries=entries, next_page_token=token)

    async def WatchQueuePosition(
        self, request: wr.WatchQueuePositionRequest, context: Context
    ) -> AsyncIterator[wr.WatchQueuePositionResponse]:
        principal = call_context.signed_in()
        event_id = names.event_id(request.event, "event")
        last, said_at = None, 0.0
        loop = asyncio.get_running_loop()
        while True:
            message = reading_message(await self._rooms.standing(principal, event_id), self._now())
            if message != last or loop.time() - said_at >= SAY_SOMETHING_EVERY:
                yield message
                last, said_at = message, loop.time()
            await asyncio.sleep(READ_EVERY)
