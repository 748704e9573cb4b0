"""What the waiting room's use cases need of the world: the record in PostgreSQL (rooms, entries,
passes) and the line mirrored in Redis for quick positions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from booking.domain.waiting_room import QueuePass, QueueSettings


@dataclass(frozen=True)
class Room:
    event_id: UUID
    organizer: str
    settings: QueueSettings
    commitment: str
    opens_at: datetime
    sale_ends_at: datetime
    opened_at: datetime | None
    seed: bytes  # secret until opened_at: the use cases reveal it only after
    pre_queue_size: int
    admitted: int
    # Counted only for the figures (GetQueue): counts that grow with the crowd, so joins and position
    # readings, which need the settings alone, leave them None.
    passes_used: int | None = None
    waiting: int | None = None


@dataclass(frozen=True)
class Figures:
    """A room's counted figures: who is in line now, and how many passes took a hold."""

    waiting: int
    passes_used: int


@dataclass(frozen=True)
class Entry:
    subject: str
    pseudonym: str
    request_id: str
    pre_queue: bool
    joined_at: datetime
    position: int | None  # None in the pre-queue until the open
    admitted_at: datetime | None
    left_at: datetime | None


@dataclass(frozen=True)
class Standing:
    """One identity's place: its entry, and its newest pass if it was admitted."""

    entry: Entry | None
    queue_pass: QueuePass | None
    pass_used: bool


Order = Callable[[bytes, list[str]], list[str]]


@dataclass(frozen=True)
class Joined:
    """What a join did: `created` a place (new, or again at the back), `same` (a retry of the join
    that made it), or found the identity `already` in line (nothing written)."""

    entry: Entry
    outcome: str


class WaitingRooms(Protocol):
    async def event_terms(self, event_id: UUID) -> tuple[str, datetime, datetime] | None:
        """The event's organizer, sale start and sale end; None for no such event."""
        ...

    async def configure(
        self,
        event_id: UUID,
        settings: QueueSettings,
        seed: bytes,
        commitment: str,
        opens_at: datetime,
        now: datetime,
    ) -> bool:  # fmt: skip
        """Store the settings (and, the first time, the seed and commitment); False once opened."""
        ...

    async def room(self, event_id: UUID) -> Room | None:
        """The room's settings, commitment and counters, without the waiting count."""
        ...

    async def figures(self, event_id: UUID) -> Figures:
        """Counts over the line and the passes: in line now (not admitted, not left), passes used."""
        ...

    async def join(
        self, event_id: UUID, subject: str, pseudonym: str, request_id: str, now: datetime
    ) -> Joined:
        """A place for the identity: new, again at the back (after leaving, or once their pass was
        used or expired), or the one it has (waiting, or admitted with a live pass)."""
        ...

    async def leave(self, event_id: UUID, subject: str, now: datetime) -> Entry | None: ...

    async def standing(self, event_id: UUID, subject: str) -> Standing: ...

    async def ahead(self, event_id: UUID, position: int) -> int:
        """People waiting before this position (the slow path when Redis cannot answer)."""
        ...

    async def open_due(self, now: datetime, order: Order) -> Sequence[UUID]:
        """Order the pre-queue of every room whose opening time has come, once; the events opened."""
        ...

    async def admit(self, event_id: UUID, now: datetime, new_id: Callable[[], UUID]) -> Sequence[str]:
        """One batch under the room's lock, as many as its bucket allows (domain.waiting_room.Bucket):
        the subjects admitted, each with a new pass."""
        ...

    async def requeue_expired(self, event_id: UUID, now: datetime, limit: int) -> Sequence[tuple[str, int]]:
        """One room's unused passes past their time: their holders back at the end of its line, first
        lapsed first; (subject, new position) of each."""
        ...

    async def line(self, event_id: UUID) -> Sequence[tuple[str, int]]:
        """Everyone waiting (subject, position): what Redis mirrors."""
        ...

    async def open_rooms(self, now: datetime) -> Sequence[UUID]:
        """The rooms the door turns: opened, their event not cancelled and its sale not ended."""
        ...

    async def pre_queue(self, event_id: UUID, after: str, limit: int) -> Sequence[tuple[str, int]]:
        """The pre-queue as shuffled at the open, (pseudonym, rank) in pseudonym order after `after`."""
        ...


class QueueLine(Protocol):
    """The line in Redis: position lookups without PostgreSQL. Losing it loses nothing."""

    async def put(self, event_id: UUID, members: Sequence[tuple[str, int]]) -> None: ...
    async def remove(self, event_id: UUID, subjects: Sequence[str]) -> None: ...
    async def ahead(self, event_id: UUID, subject: str) -> int | None:
        """People before the subject; None when the subject is not in the mirror."""
        ...

    async def size(self, event_id: UUID) -> int: ...
    async def replace(self, event_id: UUID, members: Sequence[tuple[str, int]]) -> None: ...
