"""The waiting line mirrored in Redis: one sorted set per queued event, member the identity, score its
position, so a position is one ZRANK instead of a count in PostgreSQL. It is a mirror only: the worker
rebuilds it from PostgreSQL whenever its size disagrees (after a restart or a FLUSHALL), and a reader
that finds itself missing asks PostgreSQL."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from uuid import UUID

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

CHUNK = 5_000  # members per ZADD: one command never blocks Redis for long


def _key(event_id: UUID) -> str:
    return f"queue:{event_id}:line"


class RedisQueueLine:
    """Writes that fail are logged and dropped (the worker's repair puts the mirror right within
    seconds); reads that fail answer "unknown", and the caller asks PostgreSQL."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def put(self, event_id: UUID, members: Sequence[tuple[str, int]]) -> None:
        try:
            for start in range(0, len(members), CHUNK):
                await self._redis.zadd(_key(event_id), dict(members[start : start + CHUNK]))
        except RedisError as exc:
            log.warning("queue line not updated", extra={"event": str(event_id), "error": str(exc)})

    async def remove(self, event_id: UUID, subjects: Sequence[str]) -> None:
        try:
            if subjects:
                await self._redis.zrem(_key(event_id), *subjects)
        except RedisError as exc:
            log.warning("queue line not updated", extra={"event": str(event_id), "error": str(exc)})

    async def ahead(self, event_id: UUID, subject: str) -> int | None:
        try:
            rank = await self._redis.zrank(_key(event_id), subject)
        except RedisError:
            return None
        return rank if isinstance(rank, int) else None

    async def size(self, event_id: UUID) -> int:
        """-1 when Redis cannot say: never equal to a real size, so the repair rebuilds."""
        try:
            return int(await self._redis.zcard(_key(event_id)))
        except RedisError:
            return -1

    async def replace(self, event_id: UUID, members: Sequence[tuple[str, int]]) -> None:
        """The whole line at once: built under a temporary key, then renamed over the old one, so a
        reader never sees half a line."""
        building = f"{_key(event_id)}:building"
        try:
            await self._redis.delete(building)
            for start in range(0, len(members), CHUNK):
                await self._redis.zadd(building, dict(members[start : start + CHUNK]))
            if members:
                await self._redis.rename(building, _key(event_id))
            else:
                await self._redis.delete(_key(event_id))
        except RedisError as exc:
            log.warning("queue line not rebuilt", extra={"event": str(event_id), "error": str(exc)})
