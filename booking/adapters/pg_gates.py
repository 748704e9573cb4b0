"""Gate stations and scans in raw psycopg 3. A scan is one transaction: the nonce lock and replay, the
ticket read, the conditional admission (first scan wins across every gate: the UPDATE's WHERE is
re-checked under the row lock, so of two gates at the same instant exactly one changes the row), and
the scan row."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from apextick_platform.errors import DomainError, ErrorCode
from booking.adapters.pg_order_rows import event_organizer
from booking.domain.gate import (
    GateStation,
    ScanOutcome,
    ScanResult,
    TicketAtGate,
    after_lost_race,
    before_admission,
    is_conflict,
    replayed,
    seat_shown,
)
from booking.service_layer.gate_ports import (
    Bundle,
    BundleTicket,
    Conflict,
    ScanAttempt,
    ScanRecord,
    StationDraft,
)

STATION_COLUMNS = "id, event_id, display_name, staff, created_at"

INSERT_STATION = """
INSERT INTO gate_station (id, event_id, display_name, staff, created_by, request_id, fingerprint, created_at)
VALUES (%(id)s, %(event)s, %(name)s, %(staff)s, %(by)s, %(request)s, %(fingerprint)s, %(at)s)
ON CONFLICT ON CONSTRAINT uq_gate_station_request DO NOTHING
"""

# Two scans retrying one nonce meet here: the second waits for the first to commit, then replays it.
LOCK_NONCE = "SELECT pg_advisory_xact_lock(hashtextextended(%s::text, 7))"

PREVIOUS_SCAN = """
SELECT ticket_id, outcome, first_gate, first_at, scanned_at,
       EXISTS (SELECT 1 FROM gate_conflict c WHERE c.nonce = gate_scan.nonce) AS conflict
FROM gate_scan WHERE nonce = %s
"""

TICKET_AT_GATE = """
SELECT t.id, t.event_id, t.seat_id, t.status = 'VALID' AS valid, e.status = 'CANCELLED' AS cancelled,
       t.admitted_at, coalesce(t.admitted_gate, '') AS admitted_gate
FROM ticket t JOIN event e ON e.id = t.event_id WHERE t.id = %s
"""

ADMIT = """
UPDATE ticket SET admitted_at = %(at)s, admitted_gate = %(gate)s
WHERE id = %(ticket)s AND status = 'VALID' AND admitted_at IS NULL
  AND (SELECT status FROM event WHERE id = ticket.event_id) <> 'CANCELLED'
RETURNING admitted_at
"""

INSERT_SCAN = """
INSERT INTO gate_scan (nonce, gate_station_id, event_id, ticket_id, scanner, outcome, first_gate, first_at,
                       scanned_at, offline)
VALUES (%(nonce)s, %(station)s, %(event)s, %(ticket)s, %(scanner)s, %(outcome)s, %(first_gate)s,
        %(first_at)s, %(at)s, %(offline)s)
"""


INSERT_CONFLICT = """
INSERT INTO gate_conflict (nonce, event_id, ticket_id, admitted_gate, admitted_at, conflicting_gate,
                           conflicting_at)
VALUES (%(nonce)s, %(event)s, %(ticket)s, %(first_gate)s, %(first_at)s, %(station)s, %(at)s)
"""

BUNDLE_TICKETS = """
SELECT t.id, t.seat_id, t.status = 'VALID' AS valid, t.admitted_at IS NOT NULL AS admitted
FROM ticket t WHERE t.event_id = %s ORDER BY t.id
"""

# Tickets are never deleted, a void is never undone, an admission never taken back: so counting the three
# kinds of change gives a version that grows by one with each of them.
BUNDLE_VERSION = """
SELECT count(*) + count(voided_at) + count(admitted_at) AS version,
       (SELECT status = 'CANCELLED' FROM event WHERE id = %(event)s) AS cancelled
FROM ticket WHERE event_id = %(event)s
"""

CONFLICTS = """
SELECT ticket_id, admitted_gate, admitted_at, conflicting_gate, conflicting_at FROM gate_conflict
WHERE event_id = %s ORDER BY conflicting_at DESC, nonce LIMIT %s
"""


def station_from_row(row: dict[str, Any]) -> GateStation:
    return GateStation(
        row["id"], row["event_id"], row["display_name"], frozenset(row["staff"]), row["created_at"]
    )


def ticket_from_row(row: dict[str, Any]) -> TicketAtGate:
    return TicketAtGate(
        row["id"], row["event_id"], row["valid"], row["cancelled"], row["admitted_at"], row["admitted_gate"]
    )


class PgGates:
    def __init__(self, pool: AsyncConnectionPool[AsyncConnection[Any]]) -> None:
        self._pool = pool

    async def event_owner(self, event_id: UUID) -> str | None:
        return await event_organizer(self._pool, event_id)

    async def create_station(self, draft: StationDraft) -> GateStation:
        params = {
            "id": draft.station_id, "event": draft.event_id, "name": draft.display_name,
            "staff": sorted(draft.staff), "by": draft.created_by, "request": draft.request_id,
            "fingerprint": draft.fingerprint, "at": draft.created_at,
        }  # fmt: skip
        async with self._pool.connection() as conn, conn.transaction():
            await conn.execute(INSERT_STATION, params)
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(
                f"SELECT {STATION_COLUMNS}, fingerprint FROM gate_station"  # noqa: S608 - constants
                " WHERE created_by = %s AND request_id = %s",
                (draft.created_by, draft.request_id),
            )
            row = await cur.fetchone()
        if row is None:  # pragma: no cover - the insert or the conflict left a row
            raise RuntimeError("gate station vanished")
        if bytes(row["fingerprint"]) != draft.fingerprint:
            raise DomainError(
                ErrorCode.REQUEST_ID_REUSED,
                "this request_id was used for a different request",
                metadata={"request_id": draft.request_id},
            )
        return station_from_row(row)

    async def station(self, station_id: UUID) -> GateStation | None:
        async with self._pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(f"SELECT {STATION_COLUMNS} FROM gate_station WHERE id = %s", (station_id,))  # noqa: S608
            row = await cur.fetchone()
        return station_from_row(row) if row else None

    async def stations(self, event_id: UUID) -> Sequence[GateStation]:
        async with self._pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(
                f"SELECT {STATION_COLUMNS} FROM gate_station WHERE event_id = %s"  # noqa: S608 - constants
                " ORDER BY created_at, id LIMIT 100",
                (event_id,),
            )
            return [station_from_row(row) for row in await cur.fetchall()]

    async def scan(self, attempt: ScanAttempt) -> ScanRecord:
        async with self._pool.connection() as conn, conn.transaction():
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(LOCK_NONCE, (attempt.nonce,))
            ticket_row = (
                await self._ticket(cur, attempt.reading.ticket_id) if attempt.reading.genuine else None
            )
            seat = ticket_row["seat_id"] if ticket_row else ""
            await cur.execute(PREVIOUS_SCAN, (attempt.nonce,))
            previous = await cur.fetchone()
            if previous is not None:
                first = ScanResult(
                    ScanOutcome(previous["outcome"]), previous["ticket_id"], previous["first_gate"],
                    previous["first_at"],
                )  # fmt: skip
                ticket_id = attempt.reading.ticket_id if attempt.reading.genuine else None
                again = replayed(previous["ticket_id"], ticket_id, first)
                return ScanRecord(
                    again, seat_shown(again, seat), previous["scanned_at"], previous["conflict"]
                )
            result = await self._decide(cur, attempt, ticket_row)
            params = scan_params(attempt, result)
            await cur.execute(INSERT_SCAN, params)
            conflict = attempt.offline and is_conflict(attempt.device_admitted, result)
            if conflict:
                await cur.execute(INSERT_CONFLICT, params)
        return ScanRecord(result, seat_shown(result, seat), attempt.at, conflict)

    async def bundle(self, event_id: UUID) -> Bundle:
        async with self._pool.connection() as conn, conn.transaction():
            # One snapshot for the tickets and the version, so the version describes exactly this list.
            await conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(BUNDLE_TICKETS, (event_id,))
            rows = await cur.fetchall()
            await cur.execute(BUNDLE_VERSION, {"event": event_id})
            head = await cur.fetchone()
        tickets = tuple(BundleTicket(r["id"], r["seat_id"], r["valid"], r["admitted"]) for r in rows)
        return Bundle(tickets, int(head["version"] or 0) if head else 0, bool(head and head["cancelled"]))

    async def conflicts(self, event_id: UUID, limit: int) -> Sequence[Conflict]:
        async with self._pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(CONFLICTS, (event_id, limit))
            rows = await cur.fetchall()
        return [
            Conflict(r["ticket_id"], UUID(r["admitted_gate"]), r["admitted_at"], UUID(r["conflicting_gate"]),
                     r["conflicting_at"])
            for r in rows
        ]  # fmt: skip

    @staticmethod
    async def _ticket(cur: Any, ticket_id: UUID | None) -> dict[str, Any] | None:
        await cur.execute(TICKET_AT_GATE, (ticket_id,))
        row: dict[str, Any] | None = await cur.fetchone()
        return row

    async def _decide(self, cur: Any, attempt: ScanAttempt, row: dict[str, Any] | None) -> ScanResult:
        reading = attempt.reading
        if not reading.genuine or reading.event_id is None:
            return ScanResult(ScanOutcome.FORGED, None)
        ticket = ticket_from_row(row) if row else None
        early = before_admission(attempt.station, reading.event_id, ticket)
        if early is not None or ticket is None:
            return early or ScanResult(ScanOutcome.FORGED, None)
        gate = str(attempt.station.id)
        await cur.execute(ADMIT, {"at": attempt.at, "gate": gate, "ticket": ticket.ticket_id})
        if await cur.fetchone() is not None:
            return ScanResult(ScanOutcome.ADMITTED, ticket.ticket_id, gate, attempt.at)
        # Lost: another gate committed first (the row lock made us wait for it), or the ticket went void.
        fresh = await self._ticket(cur, ticket.ticket_id)
        return after_lost_race(ticket_from_row(fresh)) if fresh else ScanResult(ScanOutcome.VOID, None)


def scan_params(attempt: ScanAttempt, result: ScanResult) -> dict[str, Any]:
    first_at: datetime | None = result.first_at
    return {
        "nonce": attempt.nonce, "station": attempt.station.id, "event": attempt.station.event_id,
        "ticket": result.ticket_id, "scanner": attempt.scanner, "outcome": result.outcome.value,
        "first_gate": result.first_gate, "first_at": first_at, "at": attempt.at, "offline": attempt.offline,
    }  # fmt: skip
