"""The waiting room tests' shared parts: a queued event, and the waiting room's use cases over the
booking server's real PostgreSQL and Redis but on a clock the test moves (the clock is a port: the
door's rate and the open are functions of it)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from apextick.waitingroom.v1 import waiting_room_service_pb2 as wr
from google.protobuf.duration_pb2 import Duration

from apextick_platform.identity import Principal, Role
from booking.bootstrap import Container
from booking.service_layer.waiting_room_use_cases import WaitingRoomUseCases
from tests.e2e.support import Built, Metadata, build_event

if TYPE_CHECKING:
    from apextick.catalog.v1 import catalog_service_pb2_grpc as catalog_grpc
    from apextick.waitingroom.v1 import waiting_room_service_pb2_grpc as wr_grpc

    Catalog = catalog_grpc.CatalogServiceAsyncStub
    Rooms = wr_grpc.WaitingRoomServiceAsyncStub


@dataclass
class MovableClock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def customer(subject: str) -> Principal:
    return Principal(subject, frozenset({Role.CUSTOMER}))


def rooms_on(container: Container, clock: MovableClock) -> WaitingRoomUseCases:
    ports = container.ports
    assert ports.waiting_rooms is not None
    assert ports.queue_line is not None
    return WaitingRoomUseCases(
        ports.waiting_rooms, ports.queue_line, clock, uuid.uuid4, b"unused in these tests"
    )


def event_id(built: Built) -> uuid.UUID:
    return uuid.UUID(built.event.name.removeprefix("events/"))


async def queued_event(
    catalog: Catalog,
    rooms: Rooms,
    organizer: Metadata,
    *,
    opens_in: timedelta,
    rate: int,
    lifetime_s: int = 60,
) -> Built:
    built = await build_event(catalog, organizer, "Queued drop", rows=2, per_row=10, sale_opens_in=opens_in)
    await rooms.ConfigureQueue(
        wr.ConfigureQueueRequest(
            event=built.event.name,
            enabled=True,
            admissions_per_minute=rate,
            pass_lifetime=Duration(seconds=lifetime_s),
        ),
        metadata=organizer,
    )
    return built


def sale_start(built: Built) -> datetime:
    return built.event.sale_start_time.ToDatetime(tzinfo=UTC)
