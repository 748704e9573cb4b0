"""The gate's ports in memory: stations, scans and admissions over the fakes' shared tables, with the
same rules as PgGates (each call runs with no await inside, as atomic as its transaction)."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from apextick_platform.errors import DomainError, ErrorCode
from booking.domain.event import EventStatus
from booking.domain.gate import (
    GateStation,
    ScanOutcome,
    ScanResult,
    TicketAtGate,
    before_admission,
    is_conflict,
    replayed,
    seat_shown,
)
from booking.domain.ticket import TicketStatus
from booking.service_layer.gate_ports import (
    Bundle,
    BundleTicket,
    CodeReading,
    Conflict,
    PublicKey,
    ScanAttempt,
    ScanRecord,
    StationDraft,
)
from tests.fakes.tables import Database


class PlainCodeReader:
    """Reads the fakes' plain codes (`code:{ticket}:{event}:{seat}`); `forged:` marks a bad signature."""

    def published(self) -> list[PublicKey]:
        return [PublicKey("plain", bytes(32), current=True)]

    def read(self, code: str) -> CodeReading:
        if code.startswith("forged:"):
            return CodeReading(genuine=False)
        parts = code.split(":")
        if len(parts) != 4 or parts[0] != "code":
            raise DomainError(ErrorCode.TICKET_CODE_MALFORMED, "code: not a ticket code")
        return CodeReading(genuine=True, ticket_id=UUID(parts[1]), event_id=UUID(parts[2]))


class FakeGates:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def event_owner(self, event_id: UUID) -> str | None:
        event = self._db.tables.events.get(event_id)
        return event.organizer if event else None

    async def create_station(self, draft: StationDraft) -> GateStation:
        tables = self._db.tables
        for station, by, request_id, fingerprint in tables.gate_stations.values():
            if (by, request_id) == (draft.created_by, draft.request_id):
                if fingerprint != draft.fingerprint:
                    raise DomainError(
                        ErrorCode.REQUEST_ID_REUSED, "this request_id was used for a different request"
                    )
                return station
        station = GateStation(
            draft.station_id, draft.event_id, draft.display_name, draft.staff, draft.created_at
        )
        tables.gate_stations[station.id] = (station, draft.created_by, draft.request_id, draft.fingerprint)
        return station

    async def station(self, station_id: UUID) -> GateStation | None:
        found = self._db.tables.gate_stations.get(station_id)
        return found[0] if found else None

    async def stations(self, event_id: UUID) -> Sequence[GateStation]:
        mine = [s for s, *_ in self._db.tables.gate_stations.values() if s.event_id == event_id]
        return sorted(mine, key=lambda s: (s.created_at, s.id))[:100]

    def _at_gate(self, ticket_id: UUID | None) -> TicketAtGate | None:
        ticket = self._db.tables.tickets.get(ticket_id) if ticket_id else None
        if ticket is None:
            return None
        event = self._db.tables.events.get(ticket.event_id)
        gate, at = self._db.tables.admissions.get(ticket.id, ("", None))
        cancelled = event is not None and event.status is EventStatus.CANCELLED
        return TicketAtGate(
            ticket.id, ticket.event_id, ticket.status is TicketStatus.VALID, cancelled, at, gate
        )

    async def scan(self, attempt: ScanAttempt) -> ScanRecord:
        tables, reading = self._db.tables, attempt.reading
        ticket = self._at_gate(reading.ticket_id) if reading.genuine else None
        seat = tables.tickets[ticket.ticket_id].seat_id if ticket else ""
        previous = tables.gate_scans.get(attempt.nonce)
        if previous is not None:
            mine = reading.ticket_id if reading.genuine else None
            again = replayed(previous.result.ticket_id, mine, previous.result)
            return ScanRecord(again, seat_shown(again, seat), previous.scanned_at, previous.conflict)
        if not reading.genuine or reading.event_id is None:
            result = ScanResult(ScanOutcome.FORGED, None)
        else:
            result = before_admission(attempt.station, reading.event_id, ticket) or self._admit(
                attempt, ticket
            )
        conflict = attempt.offline and is_conflict(attempt.device_admitted, result)
        record = ScanRecord(result, seat_shown(result, seat), attempt.at, conflict)
        tables.gate_scans[attempt.nonce] = record
        if conflict and result.ticket_id and result.first_at:
            first = Conflict(result.ticket_id, UUID(result.first_gate), result.first_at, attempt.station.id,
                             attempt.at)  # fmt: skip
            tables.gate_conflicts.append((attempt.station.event_id, first))
        return record

    async def bundle(self, event_id: UUID) -> Bundle:
        tables = self._db.tables
        mine = sorted((t for t in tables.tickets.values() if t.event_id == event_id), key=lambda t: t.id)
        tickets = tuple(
            BundleTicket(t.id, t.seat_id, t.status is TicketStatus.VALID, t.id in tables.admissions)
            for t in mine
        )
        voided = sum(t.status is not TicketStatus.VALID for t in mine)
        version = len(mine) + voided + sum(t.admitted for t in tickets)  # as PgGates counts the changes
        event = tables.events.get(event_id)
        return Bundle(tickets, version, event is not None and event.status is EventStatus.CANCELLED)

    async def conflicts(self, event_id: UUID, limit: int) -> Sequence[Conflict]:
        mine = [c for e, c in self._db.tables.gate_conflicts if e == event_id]
        return sorted(mine, key=lambda c: c.conflicting_at, reverse=True)[:limit]

    def _admit(self, attempt: ScanAttempt, ticket: TicketAtGate | None) -> ScanResult:
        if ticket is None:  # pragma: no cover - before_admission answered FORGED
            return ScanResult(ScanOutcome.FORGED, None)
        gate = str(attempt.station.id)
        self._db.tables.admissions[ticket.ticket_id] = (gate, attempt.at)
        return ScanResult(ScanOutcome.ADMITTED, ticket.ticket_id, gate, attempt.at)
