"""The live seat map's fan-out: every seat change this process hears is coalesced per event, and once
per tick each event's delta is encoded once and handed, as the same bytes, to every stream watching
that event. Heartbeats ride the same ticks, so a stream needs no timer of its own.

Each event keeps a short ring of its recent messages; a stream is a cursor into it. A stream that
falls more than the ring behind (its client stopped reading) ends with STREAM_BEHIND and resyncs
from a fresh snapshot, as before."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from apextick.catalog.v1 import event_pb2
from apextick.inventory.v1 import inventory_service_pb2 as svc

from apextick_platform.errors import DomainError, ErrorCode
from apextick_platform.proto_time import timestamp
from booking.adapters.redis_seats import SeatChange
from booking.domain.hold import SeatStatus
from booking.domain.seat_feed import PendingChanges, TickPolicy


def stream_behind() -> DomainError:
    return DomainError(
        ErrorCode.STREAM_BEHIND, "the stream fell behind the seat changes; reconnect for a fresh snapshot"
    )


def encode_delta(groups: list[tuple[SeatStatus, list[str]]]) -> bytes:
    changes = [
        svc.SeatChange(seat_ids=seats, status=event_pb2.SeatStatus.Value(f"SEAT_STATUS_{status.value}"))
        for status, seats in groups
    ]
    return svc.WatchSeatMapResponse(delta=svc.SeatMapDelta(changes=changes)).SerializeToString()


def encode_heartbeat(now: datetime) -> bytes:
    beat = svc.SeatMapHeartbeat(send_time=timestamp(now))
    return svc.WatchSeatMapResponse(heartbeat=beat).SerializeToString()


@dataclass(eq=False)
class _Feed:
    """One event: changes not yet sent, the ring of recent messages, and the streams waiting."""

    ring: deque[bytes]
    pending: PendingChanges = field(default_factory=PendingChanges)
    sent: int = 0  # sequence number of the newest message in the ring
    waiting: list[asyncio.Future[None]] = field(default_factory=list)
    watchers: int = 0
    last_sent_at: float = field(default_factory=time.monotonic)

    def publish(self, message: bytes) -> None:
        self.ring.append(message)
        self.sent += 1
        self.last_sent_at = time.monotonic()
        waiting, self.waiting = self.waiting, []
        for future in waiting:
            if not future.done():
                future.set_result(None)


class Cursor:
    """One stream's place in its event's feed."""

    def __init__(self, feed: _Feed) -> None:
        self._feed = feed
        self._seen = feed.sent

    @property
    def position(self) -> int:
        return self._seen

    @property
    def feed(self) -> object:
        """Its feed, as a key: streams of one feed may share a snapshot read, a later feed of the same
        event (after every watcher left) may not, as it missed whatever came in between."""
        return self._feed

    def rewind(self, position: int) -> None:
        """Replay from an earlier place: a stream whose snapshot was read from that moment on must get
        every delta published since (applying a delta twice changes nothing)."""
        self._seen = min(self._seen, position)

    async def next(self) -> bytes:
        feed = self._feed
        while self._seen == feed.sent:
            future = asyncio.get_running_loop().create_future()
            feed.waiting.append(future)
            await future
        oldest = feed.sent - len(feed.ring) + 1
        if self._seen + 1 < oldest:
            raise stream_behind()  # not an OK end: the client must know to resync
        self._seen += 1
        return feed.ring[self._seen - oldest]


class SeatMapFanout:
    def __init__(
        self,
        policy: TickPolicy,
        backlog: int,
        heartbeat_seconds: float,
        clock: Callable[[], datetime],
        cpu_clock: Callable[[], float] = time.process_time,
    ) -> None:
        self._policy = policy
        self._clock = clock
        self._backlog = backlog
        self._heartbeat_seconds = heartbeat_seconds
        self._cpu_clock = cpu_clock
        self._feeds: dict[UUID, _Feed] = {}
        self._task: asyncio.Task[None] | None = None
        self.interval = policy.floor_seconds

    def collect(self, change: SeatChange) -> None:
        """A seat-change sink of the hub: only events someone watches are kept."""
        feed = self._feeds.get(change.event_id)
        if feed is not None:
            feed.pending.add(change.seat_ids, change.status)

    @contextlib.contextmanager
    def watching(self, event_id: UUID) -> Iterator[Cursor]:
        feed = self._feeds.get(event_id)
        if feed is None:
            feed = self._feeds[event_id] = _Feed(deque(maxlen=self._backlog))
        feed.watchers += 1
        try:
            yield Cursor(feed)
        finally:
            feed.watchers -= 1
            if not feed.watchers:
                del self._feeds[event_id]

    @property
    def watchers(self) -> int:
        return sum(feed.watchers for feed in self._feeds.values())

    def flush(self) -> int:
        """One tick: each watched event's delta (or heartbeat, when due) published; how many streams
        it was handed to."""
        handed = 0
        now = time.monotonic()
        for feed in self._feeds.values():
            if feed.pending:
                feed.publish(encode_delta(feed.pending.drain()))
            elif now - feed.last_sent_at >= self._heartbeat_seconds:
                feed.publish(encode_heartbeat(self._clock()))
            else:
                continue
            handed += feed.watchers
        return handed

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="seat-map-fanout")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        wall, cpu = time.monotonic(), self._cpu_clock()
        while True:
            await asyncio.sleep(self.interval)
            self.flush()
            now_wall, now_cpu = time.monotonic(), self._cpu_clock()
            fraction = (now_cpu - cpu) / max(now_wall - wall, 1e-6)
            self.interval = self._policy.next_interval(self.interval, fraction)
            wall, cpu = now_wall, now_cpu
