"""Redis on the seat path: hold TTL keys, the availability cache, and the seat-change channel that
every booking replica publishes to and listens on. Redis is never trusted to say a seat is free:
losing all of it loses no correctness (PostgreSQL is the fence), only speed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from uuid import UUID

from redis.asyncio import Redis

from booking.domain.hold import SeatStatus
from booking.service_layer.hold_ports import CachedSeats, SeatChangeNote

log = logging.getLogger(__name__)

HOLD_KEY = "apextick:hold:"
CACHE_KEY = "apextick:seats:"
CHANNEL = "apextick:seatmap:"
GENERATION_KEY = "apextick:seatgen:"
CACHE_TTL_SECONDS = 30  # bounds how stale a seat-map read can be if an update is ever lost
GENERATION_TTL_SECONDS = 3600  # a fill takes milliseconds between reading it and writing

# Fill the cache only if no seat change was announced since the filler read the generation: its copy
# from PostgreSQL may predate that change, which would then be missing for the cache's whole TTL. The
# copy is staged under its own key in slices (a 50,000-seat map in one command is ~100 ms of packing
# on the event loop) and renamed into place here, so readers only ever see a whole copy.
FILL_IF_UNCHANGED = """
if tonumber(redis.call('GET', KEYS[2]) or '0') ~= tonumber(ARGV[1]) then
  redis.call('DEL', KEYS[3])
  return 0
end
redis.call('RENAME', KEYS[3], KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
"""
FILL_SLICE = 5_000  # seats per staging command
STAGING_TTL_SECONDS = 60  # an abandoned staging copy goes away by itself

# Update the availability cache only where a complete copy exists: a partial hash would look whole.
HSET_IF_CACHED = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  for i = 1, #ARGV, 2000 do
    redis.call('HSET', KEYS[1], unpack(ARGV, i, math.min(i + 1999, #ARGV)))
  end
end
return 0
"""


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def hold_key(hold_id: UUID) -> str:
    return f"{HOLD_KEY}{hold_id}"


@dataclass(frozen=True)
class SeatChange:
    event_id: UUID
    status: SeatStatus
    seat_ids: tuple[str, ...]
    until: float  # epoch seconds a HELD seat is taken until; 0 otherwise
    holder: str = ""  # the customer's subject while HELD or BOOKED

    def encode(self) -> str:
        return f"{self.status.value}|{self.until:.3f}|{self.holder}|{','.join(self.seat_ids)}"

    @classmethod
    def decode(cls, event_id: UUID, raw: str) -> SeatChange:
        status, until, holder, seats = raw.split("|", 3)
        return cls(
            event_id, SeatStatus(status), tuple(seats.split(",")) if seats else (), float(until), holder
        )


class RedisSeatSignals:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._hset_if_cached = redis.register_script(HSET_IF_CACHED)

    async def changed(self, note: SeatChangeNote) -> None:
        """HELD seats get (or move out) their hold's TTL key; freed or booked ones have no more use for it."""
        until = note.until.timestamp() if note.status is SeatStatus.HELD and note.until else 0.0
        change = SeatChange(note.event_id, note.status, note.seat_ids, until, note.customer)
        async with self._redis.pipeline(transaction=False) as pipe:
            if until:
                ttl_ms = max(1, int((until - time.time()) * 1000))
                pipe.set(hold_key(note.hold_id), str(note.event_id), px=ttl_ms)
            else:
                pipe.delete(hold_key(note.hold_id))
            if note.seat_ids:  # an ending hold whose seats were all taken over changes no seat
                await self._publish(pipe, change)
            await pipe.execute()

    async def _publish(self, pipe: object, change: SeatChange) -> None:
        args: list[str] = []
        for seat in change.seat_ids:
            args += [seat, change.status.value]
        key = f"{CACHE_KEY}{change.event_id}"
        await self._hset_if_cached(keys=[key], args=args, client=pipe)  # type: ignore[arg-type]
        generation = f"{GENERATION_KEY}{change.event_id}"
        pipe.incr(generation)  # type: ignore[attr-defined]
        pipe.expire(generation, GENERATION_TTL_SECONDS)  # type: ignore[attr-defined]
        pipe.publish(f"{CHANNEL}{change.event_id}", change.encode())  # type: ignore[attr-defined]


class RedisSeatCache:
    """Seat statuses per event for seat-map reads: filled from PostgreSQL on a miss, unless a seat change
    was announced between the miss and the fill.

    The last copy read of each event is remembered with its generation: while no change has been
    announced since, a read costs one GET instead of fetching and decoding every seat (a 10,000-seat
    HGETALL took about 8 ms of the event loop). Every change bumps the generation after its HSET, so a
    remembered copy is served only while the generation is still the one it was read with; a copy read
    between a change's HSET and its bump is newer than its generation, never older. The returned dict
    is shared: callers read it, never change it."""

    def __init__(self, redis: Redis, remember: int = 32) -> None:
        self._redis = redis
        self._fill = redis.register_script(FILL_IF_UNCHANGED)
        self._remember = remember
        self._copies: OrderedDict[UUID, CachedSeats] = OrderedDict()

    async def get(self, event_id: UUID) -> CachedSeats:
        copy = self._copies.get(event_id)
        if copy is not None:
            current = int(await self._redis.get(f"{GENERATION_KEY}{event_id}") or 0)
            if current == copy.generation:
                self._copies.move_to_end(event_id)
                return copy
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hgetall(f"{CACHE_KEY}{event_id}")
            pipe.get(f"{GENERATION_KEY}{event_id}")
            raw, generation = await pipe.execute()
        if not raw:
            self._copies.pop(event_id, None)
            return CachedSeats(None, int(generation or 0))
        read = CachedSeats({k.decode(): v.decode() for k, v in raw.items()}, int(generation or 0))
        self._copies[event_id] = read
        if len(self._copies) > self._remember:
            self._copies.popitem(last=False)
        return read

    async def put(self, event_id: UUID, statuses: dict[str, str], generation: int) -> bool:
        if not statuses:
            return False
        staging = f"{CACHE_KEY}{event_id}:fill:{uuid.uuid4().hex}"
        items = list(statuses.items())
        for start in range(0, len(items), FILL_SLICE):
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.hset(staging, mapping=dict(items[start : start + FILL_SLICE]))
                pipe.expire(staging, STAGING_TTL_SECONDS)
                await pipe.execute()
        keys = [f"{CACHE_KEY}{event_id}", f"{GENERATION_KEY}{event_id}", staging]
        stored = await self._fill(keys=keys, args=[generation, CACHE_TTL_SECONDS])
        return bool(stored)


class TakenSeatsView:
    """Per-process memory of seats known taken, fed by the seat-change channel. It only ever says
    "taken", and a HELD entry lapses at the hold's expiry, so a lost release message can delay a
    seat's return at most until then; BOOKED stays taken until a message frees it."""

    def __init__(self) -> None:
        self._taken: dict[UUID, dict[str, tuple[float, str]]] = {}

    def apply(self, change: SeatChange) -> None:
        seats = self._taken.setdefault(change.event_id, {})
        if change.status is SeatStatus.AVAILABLE:
            for seat in change.seat_ids:
                seats.pop(seat, None)
            return
        until = change.until if change.status is SeatStatus.HELD else float("inf")
        for seat in change.seat_ids:
            seats[seat] = (until, change.holder)

    def known_taken(self, event_id: UUID, seat_ids: Sequence[str], customer: str) -> list[str]:
        """Seats someone else holds. If the caller holds any of them this may be the retry of a claim
        that won, which only PostgreSQL can answer: then nothing is reported."""
        seats = self._taken.get(event_id)
        if not seats:
            return []
        now = time.time()
        taken = [(seat, seats[seat][1]) for seat in seat_ids if seat in seats and seats[seat][0] > now]
        if any(holder == customer for _, holder in taken):
            return []
        return [seat for seat, _ in taken]


SeatChangeSink = Callable[[SeatChange], None]


class SeatChangeHub:
    """One subscription per process to every event's seat changes, handed to each sink in turn: the
    taken-seats view, and the seat-map fan-out where this process serves the live map."""

    def __init__(self, redis: Redis, sinks: Sequence[SeatChangeSink] = ()) -> None:
        self._redis = redis
        self._sinks = list(sinks)
        self._task: asyncio.Task[None] | None = None
        self.ready = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="seat-change-hub")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def add_sink(self, sink: SeatChangeSink) -> None:
        self._sinks.append(sink)

    async def _run(self) -> None:
        while True:
            try:
                await self._listen()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("seat-change subscription lost; reconnecting", exc_info=True)
                await asyncio.sleep(1.0)

    async def _listen(self) -> None:
        async with self._redis.pubsub() as pubsub:
            await pubsub.psubscribe(f"{CHANNEL}*")
            self.ready.set()
            async for message in pubsub.listen():
                if message.get("type") == "pmessage":
                    self._dispatch(message["channel"].decode(), message["data"].decode())

    def _dispatch(self, channel: str, data: str) -> None:
        change = SeatChange.decode(UUID(channel.removeprefix(CHANNEL)), data)
        for sink in self._sinks:
            sink(change)


async def expired_holds(redis: Redis, ready: asyncio.Event | None = None) -> AsyncIterator[UUID]:
    """Hold ids whose TTL key Redis just deleted. Redis sends these only while we are subscribed and
    only when it deletes the key (possibly late): the sweeper covers everything this misses."""
    db = int(redis.connection_pool.connection_kwargs.get("db", 0))
    async with redis.pubsub() as pubsub:
        await pubsub.subscribe(f"__keyevent@{db}__:expired")
        if ready is not None:
            ready.set()
        async for message in pubsub.listen():
            if message.get("type") != "message":
                continue
            key = _text(message["data"])
            if key.startswith(HOLD_KEY):
                with contextlib.suppress(ValueError):
                    yield UUID(key.removeprefix(HOLD_KEY))
