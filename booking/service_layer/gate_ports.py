"""Ports of the gate: stations, the one-transaction scan, and reading ticket codes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from booking.domain.gate import GateStation, ScanResult


@dataclass(frozen=True)
class CodeReading:
    """What a ticket code says. Not genuine: the signature failed, so nothing in it can be trusted."""

    genuine: bool
    ticket_id: UUID | None = None
    event_id: UUID | None = None


@dataclass(frozen=True)
class PublicKey:
    key_id: str
    raw: bytes  # the 32-byte Ed25519 public key
    current: bool


class TicketCodeReader(Protocol):
    def published(self) -> Sequence[PublicKey]:
        """The key set: the current key first, then the retired ones."""
        ...

    def read(self, code: str) -> CodeReading:
        """Raises DomainError TICKET_CODE_MALFORMED or TICKET_CODE_KEY_UNKNOWN; a failed signature is
        an answer (not genuine), since the gate records it as a forgery."""
        ...


@dataclass(frozen=True)
class StationDraft:
    station_id: UUID
    event_id: UUID
    display_name: str
    staff: frozenset[str]
    created_by: str
    request_id: str
    fingerprint: bytes
    created_at: datetime


@dataclass(frozen=True)
class ScanAttempt:
    nonce: UUID
    station: GateStation
    scanner: str
    reading: CodeReading
    at: datetime  # for an offline scan: when the device scanned
    offline: bool = False
    device_admitted: bool = False  # offline only: the device let the holder in


@dataclass(frozen=True)
class ScanRecord:
    """A recorded scan: its result, the ticket's seat (for the staff) and when it was first recorded."""

    result: ScanResult
    seat_id: str
    scanned_at: datetime
    conflict: bool = False


@dataclass(frozen=True)
class BundleTicket:
    ticket_id: UUID
    seat_id: str
    valid: bool
    admitted: bool


@dataclass(frozen=True)
class Bundle:
    tickets: tuple[BundleTicket, ...]
    version: int  # grows by one with every ticket issued, voided or admitted
    event_cancelled: bool


@dataclass(frozen=True)
class Conflict:
    ticket_id: UUID
    admitted_gate: UUID
    admitted_at: datetime
    conflicting_gate: UUID
    conflicting_at: datetime


class GateStore(Protocol):
    async def event_owner(self, event_id: UUID) -> str | None: ...

    async def create_station(self, draft: StationDraft) -> GateStation:
        """Made once per (created_by, request_id): a replay returns the first station; the same id with
        another fingerprint raises REQUEST_ID_REUSED."""
        ...

    async def station(self, station_id: UUID) -> GateStation | None: ...
    async def stations(self, event_id: UUID) -> Sequence[GateStation]: ...

    async def scan(self, attempt: ScanAttempt) -> ScanRecord:
        """One transaction: replay by nonce, read the ticket, the conditional admission, the scan row.
        A nonce already used for another ticket raises SCAN_NONCE_REUSED and writes nothing. An offline
        scan the device admitted that finds the ticket admitted elsewhere also records a conflict."""
        ...

    async def bundle(self, event_id: UUID) -> Bundle: ...
    async def conflicts(self, event_id: UUID, limit: int) -> Sequence[Conflict]: ...
