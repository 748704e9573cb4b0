"""After-commit news of seat changes (Redis): the hold's TTL key, the availability cache and the live
seat-map stream. Best effort: PostgreSQL has already decided, a failed signal never undoes a commit,
and the expiry layers and the cache's TTL repair what a lost signal leaves behind."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from booking.domain.hold import EndedHold, Hold, SeatStatus
from booking.service_layer.hold_ports import SeatChangeNote, SeatSignals

log = logging.getLogger(__name__)


def held(hold: Hold, until: datetime | None = None) -> SeatChangeNote:
    """A hold's seats are HELD until `until` (default: the hold's own expiry)."""
    expires = until or hold.expires_at
    return SeatChangeNote(hold.event_id, hold.id, hold.seat_ids, SeatStatus.HELD, hold.customer, expires)


def freed(ended: EndedHold) -> SeatChangeNote:
    """Only the seats the ending hold still had: one a later claim took over stays that claim's."""
    hold = ended.hold
    return SeatChangeNote(hold.event_id, hold.id, ended.freed, SeatStatus.AVAILABLE)


async def send_after_commit(signals: SeatSignals, notes: Iterable[SeatChangeNote]) -> None:
    for note in notes:
        try:
            await signals.changed(note)
        except Exception:  # the commit stands; the cache and live map catch up from PostgreSQL
            log.warning("after-commit seat signal failed", extra={"hold": str(note.hold_id)}, exc_info=True)
