"""The published figures (waiting, passes used) are counts over the line and the passes, so the use
cases count each room at most once a second, and the paths every waiting customer hits (join,
position) never count at all."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from apextick_platform.identity import Principal, Role
from booking.domain.waiting_room import QueueSettings
from booking.service_layer.waiting_room_ports import Figures, Room, Standing
from booking.service_layer.waiting_room_use_cases import WaitingRoomUseCases

EVENT = uuid.UUID("00000000-0000-4000-8000-000000000002")
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


@dataclass
class Clock:
    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now


@dataclass
class CountingRooms:
    """Just the record's reads these paths make; every count is logged."""

    line: int = 7
    counts: list[int] = field(default_factory=list)

    async def room(self, event_id: uuid.UUID) -> Room:
        settings = QueueSettings(enabled=True, admissions_per_minute=600, pass_lifetime=timedelta(minutes=5))
        return Room(event_id, "org", settings, "c" * 64, NOW, NOW + timedelta(days=1), None, b"s", 0, 0)

    async def figures(self, event_id: uuid.UUID) -> Figures:
        self.counts.append(self.line)
        return Figures(self.line, passes_used=self.line // 2)

    async def standing(self, event_id: uuid.UUID, subject: str) -> Standing:
        return Standing(None, None, pass_used=False)  # not in line


def use_cases(rooms: CountingRooms, clock: Clock) -> WaitingRoomUseCases:
    return WaitingRoomUseCases(rooms, None, clock, uuid.uuid4, b"unused")  # type: ignore[arg-type]


async def test_the_waiting_figure_is_counted_at_most_once_a_second() -> None:
    rooms, clock = CountingRooms(), Clock()
    cases = use_cases(rooms, clock)
    first = await cases.room(EVENT)
    assert (first.waiting, first.passes_used) == (7, 3)
    rooms.line = 9
    clock.now += timedelta(milliseconds=999)
    assert (await cases.room(EVENT)).waiting == 7  # the same second: the count before
    clock.now += timedelta(milliseconds=1)
    again = await cases.room(EVENT)
    assert (again.waiting, again.passes_used) == (9, 4)  # a second on: counted again
    assert rooms.counts == [7, 9]


async def test_a_position_reading_never_counts_the_line() -> None:
    rooms = CountingRooms()
    someone = Principal("someone", frozenset({Role.CUSTOMER}))
    reading = await use_cases(rooms, Clock()).standing(someone, EVENT)
    assert reading.position == 0
    assert rooms.counts == []
