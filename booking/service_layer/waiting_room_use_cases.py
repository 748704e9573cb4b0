"""The waiting room's use cases: the organizer's switch, joining and leaving, a caller's standing
(position, wait, pass), the door the worker turns every second (open, admit, send lapsed passes to the
back, keep Redis's mirror true), the published entries, and the pass check the hold path makes."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from uuid import UUID

from apextick_platform.errors import DomainError, ErrorCode, invalid
from apextick_platform.identity import Principal
from booking.domain.waiting_room import (
    QueueSettings,
    commitment,
    fair_order,
    pseudonym,
    queue_closed,
    read_pass,
    sign_pass,
)
from booking.service_layer.event_use_cases import event_not_found
from booking.service_layer.ports import Clock, IdFactory
from booking.service_layer.waiting_room_ports import Entry, Figures, QueueLine, Room, WaitingRooms

log = logging.getLogger(__name__)
PSEUDONYM = re.compile(r"^[0-9a-f]{32}$")
REQUEUE_BATCH = 500
# How old the published figures (waiting, passes used) may be: every queue page polls them, and they
# are counts over the line and the passes, so each process counts each room at most once in this span.
WAITING_FRESH = timedelta(seconds=1)


@dataclass(frozen=True)
class Reading:
    """One caller's standing, as WatchQueuePosition sends it."""

    room: Room
    entry: Entry | None
    position: int  # 1 for the next in; 0 before the open, once admitted, or not in line
    estimated_wait: timedelta
    queue_pass: str
    pass_expires_at: datetime | None


def state_of(room: Room | None, now: datetime) -> str:
    if room is None or not room.settings.enabled:
        return "OFF"
    if now >= room.sale_ends_at:
        return "CLOSED"
    return "OPEN" if room.opened_at is not None else "PRE_QUEUE"


class WaitingRoomUseCases:
    def __init__(
        self,
        rooms: WaitingRooms,
        line: QueueLine,
        clock: Clock,
        new_id: IdFactory,
        pass_secret: bytes,
        new_seed: Callable[[], bytes] = lambda: secrets.token_bytes(32),
    ) -> None:
        self._rooms = rooms
        self._line = line
        self._clock = clock
        self._new_id = new_id
        self._secret = pass_secret
        self._new_seed = new_seed
        # event -> (when counted, figures): one entry per queued room this process was asked about
        # (an unknown event is refused before it is counted), so it stays as small as the rooms.
        self._counted: dict[UUID, tuple[datetime, Figures]] = {}

    async def configure(self, principal: Principal, event_id: UUID, settings: QueueSettings) -> Room:
        terms = await self._rooms.event_terms(event_id)
        if terms is None or not principal.can_manage(terms[0]):
            raise event_not_found(event_id)
        if settings.enabled:
            settings.validated()
        now, opens_at = self._clock(), terms[1]
        seed = self._new_seed()
        stored = now < opens_at and await self._rooms.configure(
            event_id, settings, seed, commitment(seed, event_id, opens_at), opens_at, now
        )
        if not stored:
            raise DomainError(
                ErrorCode.QUEUE_CLOSED,
                "the queue is set before the sale opens",
                metadata={"event": str(event_id)},
            )
        return await self.room(event_id)

    async def room(self, event_id: UUID) -> Room:
        """The room with its figures, counted at most WAITING_FRESH ago."""
        room = await self._settings(event_id)
        now = self._clock()
        counted = self._counted.get(event_id)
        if counted is None or now - counted[0] >= WAITING_FRESH:
            counted = (now, await self._rooms.figures(event_id))
            self._counted[event_id] = counted
        return replace(room, waiting=counted[1].waiting, passes_used=counted[1].passes_used)

    async def _settings(self, event_id: UUID) -> Room:
        room = await self._rooms.room(event_id)
        if room is None:
            raise queue_closed(event_id)
        return room

    async def join(self, principal: Principal, event_id: UUID, request_id: str) -> Entry:
        room = await self._rooms.room(event_id)
        if state_of(room, self._clock()) not in {"PRE_QUEUE", "OPEN"}:
            raise queue_closed(event_id)
        joined = await self._rooms.join(
            event_id, principal.subject, pseudonym(event_id, principal.subject), request_id, self._clock()
        )
        if joined.outcome == "already":
            raise DomainError(
                ErrorCode.QUEUE_ALREADY_JOINED,
                "you already have a place in this queue",
                metadata={"pseudonym": joined.entry.pseudonym},
            )
        if joined.outcome == "created" and joined.entry.position is not None:
            await self._line.put(event_id, [(principal.subject, joined.entry.position)])
        return joined.entry

    async def leave(self, principal: Principal, event_id: UUID) -> None:
        left = await self._rooms.leave(event_id, principal.subject, self._clock())
        if left is not None:
            await self._line.remove(event_id, [principal.subject])

    async def standing(self, principal: Principal, event_id: UUID) -> Reading:
        room = await self._settings(event_id)
        standing = await self._rooms.standing(event_id, principal.subject)
        entry, queue_pass = standing.entry, standing.queue_pass
        live = entry is not None and entry.left_at is None
        if live and entry is not None and entry.admitted_at is not None and queue_pass is not None:
            token = "" if standing.pass_used else sign_pass(queue_pass, self._secret)
            return Reading(room, entry, 0, timedelta(0), token, queue_pass.expires_at)
        position = 0
        if live and entry is not None and entry.position is not None and room.opened_at is not None:
            ahead = await self._line.ahead(event_id, principal.subject)
            if ahead is None:  # not in the mirror (Redis lost or rebuilding): PostgreSQL knows
                ahead = await self._rooms.ahead(event_id, entry.position)
            position = ahead + 1
        wait = timedelta(minutes=position / room.settings.admissions_per_minute)
        return Reading(room, entry, position, wait, "", None)

    async def door(self) -> int:
        """One turn: open what is due, admit a batch per open room, send lapsed passes' holders to
        the back. Returns how many were admitted."""
        now = self._clock()
        for event_id in await self._rooms.open_due(now, fair_order):
            await self._line.replace(event_id, await self._rooms.line(event_id))
        admitted = 0
        for event_id in await self._rooms.open_rooms(now):  # each room its own turn: none starves another
            subjects = await self._rooms.admit(event_id, now, self._new_id)
            await self._line.remove(event_id, subjects)
            admitted += len(subjects)
            await self._line.put(event_id, await self._rooms.requeue_expired(event_id, now, REQUEUE_BATCH))
        return admitted

    async def repair_line(self) -> int:
        """Rebuild every open room's mirror whose size disagrees with PostgreSQL; how many were."""
        repaired = 0
        for event_id in await self._rooms.open_rooms(self._clock()):
            if await self._line.size(event_id) != (await self._rooms.figures(event_id)).waiting:
                await self._line.replace(event_id, await self._rooms.line(event_id))
                repaired += 1
        return repaired

    async def entries(self, event_id: UUID, size: int, token: str) -> tuple[Sequence[tuple[str, int]], str]:
        """The pre-queue as shuffled, once the seed is out; (entries, next page token)."""
        room = await self._settings(event_id)
        if room.opened_at is None:
            raise DomainError(
                ErrorCode.QUEUE_CLOSED,
                "the entries are published at the open",
                metadata={"event": str(event_id)},
            )
        if token and not PSEUDONYM.match(token):
            raise DomainError(ErrorCode.PAGE_TOKEN_INVALID, "the page token is not one this list gave")
        limit = min(size or 1000, 10_000)
        page = await self._rooms.pre_queue(event_id, token, limit)
        return page, (page[-1][0] if len(page) == limit else "")

    def admission(self, principal: Principal, event_id: UUID, token: str) -> UUID:
        """The hold path's check on a queued event: this caller's pass for this event, still live; its
        id. That it has not taken a hold yet is the claim's own check (in the claim's transaction)."""
        return read_pass(token, self._secret, event_id, principal.subject, self._clock()).pass_id


def settings_from(*, enabled: bool, rate: int, lifetime: timedelta | None) -> QueueSettings:
    if enabled and lifetime is None:
        raise invalid("pass_lifetime", "is required to turn the queue on")
    return QueueSettings(enabled, rate, lifetime or timedelta(minutes=5))
