"""GateService: protobuf in, gate use case, protobuf out."""

from __future__ import annotations

import asyncio
import base64
from datetime import UTC
from typing import Any
from uuid import UUID

from apextick.gates.v1 import gate_service_pb2 as gsv
from apextick.gates.v1 import gate_service_pb2_grpc as gsv_grpc
from google.protobuf.timestamp_pb2 import Timestamp

from apextick_platform import call_context
from apextick_platform.errors import invalid
from apextick_platform.proto_time import stamp, timestamp
from booking.domain.gate import GateStation
from booking.entrypoints.grpc import names
from booking.entrypoints.grpc.catalog_mapping import request_key
from booking.entrypoints.grpc.counters import BookingCounters
from booking.service_layer.gate_ports import Bundle, Conflict, PublicKey, ScanRecord
from booking.service_layer.gate_use_cases import GateUseCases, OfflineResult, OfflineScan

Context = Any


def station_message(station: GateStation) -> gsv.GateStation:
    return gsv.GateStation(
        name=names.gate_station_name(station.event_id, station.id),
        display_name=station.display_name,
        staff=sorted(station.staff),
        create_time=stamp(station.created_at),
    )


def outcome_value(record: ScanRecord) -> gsv.ScanOutcome.ValueType:
    return gsv.ScanOutcome.Value(f"SCAN_OUTCOME_{record.result.outcome.value}")


def key_message(key: PublicKey) -> gsv.TicketKey:
    raw = base64.urlsafe_b64encode(key.raw).rstrip(b"=").decode("ascii")
    return gsv.TicketKey(key_id=key.key_id, algorithm="Ed25519", public_key=raw, current=key.current)


def bundle_message(
    event_id: UUID, station: str, bundle: Bundle, keys: list[PublicKey], made: Timestamp
) -> gsv.OfflineBundle:
    valid = [t for t in bundle.tickets if t.valid and not bundle.event_cancelled]
    void = [f"tickets/{t.ticket_id}" for t in bundle.tickets if not t.valid or bundle.event_cancelled]
    return gsv.OfflineBundle(
        event=names.event_name(event_id),
        gate_station=station,
        version=bundle.version,
        keys=[key_message(k) for k in keys],
        tickets=[
            gsv.OfflineTicket(ticket=f"tickets/{t.ticket_id}", seat_id=t.seat_id, admitted=t.admitted)
            for t in valid
        ],
        void_tickets=void,
        create_time=made,
    )


def offline_result_message(result: OfflineResult) -> gsv.OfflineScanResult:
    if result.record is None:
        return gsv.OfflineScanResult(scan_nonce=str(result.nonce), error_reason=result.error_reason)
    return gsv.OfflineScanResult(
        scan_nonce=str(result.nonce), outcome=outcome_value(result.record), conflict=result.record.conflict
    )


def conflict_message(event_id: UUID, conflict: Conflict) -> gsv.ScanConflict:
    return gsv.ScanConflict(
        ticket=f"tickets/{conflict.ticket_id}",
        admitted_gate=names.gate_station_name(event_id, conflict.admitted_gate),
        admit_time=stamp(conflict.admitted_at),
        conflicting_gate=names.gate_station_name(event_id, conflict.conflicting_gate),
        conflicting_time=stamp(conflict.conflicting_at),
    )


def nonce_of(text: str, field: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:  # the contract's rule refuses it first; kept for direct callers of the servicer
        raise invalid(field, "must be a UUID") from None


def scan_message(event_id: UUID, record: ScanRecord) -> gsv.ScanTicketResponse:
    result = record.result
    return gsv.ScanTicketResponse(
        outcome=outcome_value(record),
        ticket=f"tickets/{result.ticket_id}" if result.ticket_id else "",
        seat_id=record.seat_id,
        first_gate=names.gate_station_name(event_id, UUID(result.first_gate)) if result.first_gate else "",
        first_admit_time=stamp(result.first_at),
        scan_time=stamp(record.scanned_at),
    )


class GateServicer(gsv_grpc.GateServiceServicer):
    def __init__(self, gates: GateUseCases, counters: BookingCounters | None = None) -> None:
        self._gates = gates
        self._counters = counters or BookingCounters()

    async def CreateGateStation(
        self, request: gsv.CreateGateStationRequest, context: Context
    ) -> gsv.CreateGateStationResponse:
        station = await self._gates.create_station(
            call_context.signed_in(),
            names.event_id(request.parent, "parent"),
            request.gate_station.display_name,
            frozenset(request.gate_station.staff),
            request_key(request),
        )
        return gsv.CreateGateStationResponse(gate_station=station_message(station))

    async def ListGateStations(
        self, request: gsv.ListGateStationsRequest, context: Context
    ) -> gsv.ListGateStationsResponse:
        stations = await self._gates.list_stations(
            call_context.signed_in(), names.event_id(request.parent, "parent")
        )
        return gsv.ListGateStationsResponse(gate_stations=[station_message(s) for s in stations])

    async def ScanTicket(self, request: gsv.ScanTicketRequest, context: Context) -> gsv.ScanTicketResponse:
        event_id, station_id = names.gate_station_ids(request.gate_station, "gate_station")
        nonce = nonce_of(request.scan_nonce, "scan_nonce")
        record = await self._gates.scan(call_context.signed_in(), event_id, station_id, request.code, nonce)
        self._counters.scan(record.result.outcome.value)
        return scan_message(event_id, record)

    async def ListTicketKeys(
        self, request: gsv.ListTicketKeysRequest, context: Context
    ) -> gsv.ListTicketKeysResponse:
        return gsv.ListTicketKeysResponse(keys=[key_message(k) for k in self._gates.key_set()])

    async def GetOfflineBundle(
        self, request: gsv.GetOfflineBundleRequest, context: Context
    ) -> gsv.GetOfflineBundleResponse:
        event_id, station_id = names.gate_station_ids(request.gate_station, "gate_station")
        bundle, made = await self._gates.bundle(call_context.signed_in(), event_id, station_id)
        keys = list(self._gates.key_set())
        # A sold-out 50,000-seat house is a few MB of message: built off the event loop.
        message = await asyncio.to_thread(
            bundle_message, event_id, request.gate_station, bundle, keys, timestamp(made)
        )
        return gsv.GetOfflineBundleResponse(bundle=message)

    async def UploadOfflineScans(
        self, request: gsv.UploadOfflineScansRequest, context: Context
    ) -> gsv.UploadOfflineScansResponse:
        event_id, station_id = names.gate_station_ids(request.gate_station, "gate_station")
        scans = [
            OfflineScan(nonce_of(s.scan_nonce, f"scans[{n}].scan_nonce"), s.code,
                        s.scan_time.ToDatetime(tzinfo=UTC), s.device_admitted)
            for n, s in enumerate(request.scans)
        ]  # fmt: skip
        results = await self._gates.upload_offline(call_context.signed_in(), event_id, station_id, scans)
        return gsv.UploadOfflineScansResponse(results=[offline_result_message(r) for r in results])

    async def ListScanConflicts(
        self, request: gsv.ListScanConflictsRequest, context: Context
    ) -> gsv.ListScanConflictsResponse:
        event_id = names.event_id(request.parent, "parent")
        conflicts = await self._gates.conflicts(call_context.signed_in(), event_id)
        return gsv.ListScanConflictsResponse(conflicts=[conflict_message(event_id, c) for c in conflicts])
