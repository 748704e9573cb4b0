"""Gate stations and scanning: who may scan where, then one transaction decides the scan."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from apextick_platform.errors import DomainError, ErrorCode
from apextick_platform.identity import Principal
from booking.domain.gate import GateStation, check_scanner
from booking.service_layer.event_use_cases import event_not_found
from booking.service_layer.gate_ports import (
    Bundle,
    Conflict,
    GateStore,
    PublicKey,
    ScanAttempt,
    ScanRecord,
    StationDraft,
    TicketCodeReader,
)
from booking.service_layer.idempotency import RequestKey
from booking.service_layer.ports import Clock, IdFactory

MAX_CONFLICTS = 1000


@dataclass(frozen=True)
class OfflineScan:
    nonce: UUID
    code: str
    scanned_at: datetime
    device_admitted: bool


@dataclass(frozen=True)
class OfflineResult:
    nonce: UUID
    record: ScanRecord | None
    error_reason: str = ""  # the code or nonce was refused: nothing recorded for this scan


def gate_not_found(station_id: UUID) -> DomainError:
    return DomainError(ErrorCode.GATE_NOT_FOUND, "no such gate station", metadata={"id": str(station_id)})


class GateUseCases:
    def __init__(self, gates: GateStore, codes: TicketCodeReader, clock: Clock, new_id: IdFactory) -> None:
        self._gates = gates
        self._codes = codes
        self._clock = clock
        self._new_id = new_id

    async def _check_owner(self, principal: Principal, event_id: UUID) -> None:
        owner = await self._gates.event_owner(event_id)
        if owner is None or not principal.can_manage(owner):
            raise event_not_found(event_id)

    async def create_station(
        self,
        principal: Principal,
        event_id: UUID,
        display_name: str,
        staff: frozenset[str],
        request: RequestKey,
    ) -> GateStation:
        await self._check_owner(principal, event_id)
        draft = StationDraft(
            station_id=self._new_id(),
            event_id=event_id,
            display_name=display_name,
            staff=staff,
            created_by=principal.subject,
            request_id=request.request_id,
            fingerprint=request.fingerprint,
            created_at=self._clock(),
        )
        return await self._gates.create_station(draft)

    async def list_stations(self, principal: Principal, event_id: UUID) -> Sequence[GateStation]:
        await self._check_owner(principal, event_id)
        return await self._gates.stations(event_id)

    async def _staffed(self, principal: Principal, event_id: UUID, station_id: UUID) -> GateStation:
        station = await self._gates.station(station_id)
        if station is None or station.event_id != event_id:
            raise gate_not_found(station_id)
        check_scanner(station, principal.subject, is_admin=principal.is_admin)
        return station

    def key_set(self) -> Sequence[PublicKey]:
        return self._codes.published()

    async def bundle(self, principal: Principal, event_id: UUID, station_id: UUID) -> tuple[Bundle, datetime]:
        await self._staffed(principal, event_id, station_id)
        return await self._gates.bundle(event_id), self._clock()

    async def upload_offline(
        self, principal: Principal, event_id: UUID, station_id: UUID, scans: Sequence[OfflineScan]
    ) -> list[OfflineResult]:
        """Each scan on its own: one bad code among hundreds refuses that scan, not the upload."""
        station = await self._staffed(principal, event_id, station_id)
        results = []
        for scan in scans:
            try:
                reading = self._codes.read(scan.code)
                attempt = ScanAttempt(scan.nonce, station, principal.subject, reading, scan.scanned_at,
                                      offline=True, device_admitted=scan.device_admitted)  # fmt: skip
                results.append(OfflineResult(scan.nonce, await self._gates.scan(attempt)))
            except DomainError as refused:
                results.append(OfflineResult(scan.nonce, None, refused.code.value))
        return results

    async def conflicts(self, principal: Principal, event_id: UUID) -> Sequence[Conflict]:
        await self._check_owner(principal, event_id)
        return await self._gates.conflicts(event_id, MAX_CONFLICTS)

    async def scan(
        self, principal: Principal, event_id: UUID, station_id: UUID, code: str, nonce: UUID
    ) -> ScanRecord:
        """The station is checked before the code is read, so a stranger learns nothing from codes."""
        station = await self._staffed(principal, event_id, station_id)
        reading = self._codes.read(code)
        return await self._gates.scan(ScanAttempt(nonce, station, principal.subject, reading, self._clock()))
