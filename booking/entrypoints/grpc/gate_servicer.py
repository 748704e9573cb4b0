"""GateService: protobuf in, gate use case, protobuf out."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from apextick.gates.v1 import gate_service_pb2 as gsv
from apextick.gates.v1 import gate_service_pb2_grpc as gsv_grpc

from apextick_platform import call_context
from apextick_platform.errors import invalid
from apextick_platform.proto_time import stamp
from booking.domain.gate import GateStation
from booking.entrypoints.grpc import names
from booking.entrypoints.grpc.catalog_mapping import request_key
from booking.service_layer.gate_ports import ScanRecord
from booking.service_layer.gate_use_cases import GateUseCases

Context = Any


def station_message(station: GateStation) -> gsv.GateStation:
    return gsv.GateStation(
        name=names.gate_station_name(station.event_id, station.id),
        display_name=station.display_name,
        staff=sorted(station.staff),
        create_time=stamp(station.created_at),
    )


def scan_message(event_id: UUID, record: ScanRecord) -> gsv.ScanTicketResponse:
    result = record.result
    return gsv.ScanTicketResponse(
        outcome=gsv.ScanOutcome.Value(f"SCAN_OUTCOME_{result.outcome.value}"),
        ticket=f"tickets/{result.ticket_id}" if result.ticket_id else "",
        seat_id=record.seat_id,
        first_gate=names.gate_station_name(event_id, UUID(result.first_gate)) if result.first_gate else "",
        first_admit_time=stamp(result.first_at),
        scan_time=stamp(record.scanned_at),
    )


class GateServicer(gsv_grpc.GateServiceServicer):
    def __init__(self, gates: GateUseCases) -> None:
        self._gates = gates

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
        try:
            nonce = UUID(request.scan_nonce)
        except ValueError:  # the contract's rule refuses it first; kept for direct callers of the servicer
            raise invalid("scan_nonce", "must be a UUID") from None
        record = await self._gates.scan(call_context.signed_in(), event_id, station_id, request.code, nonce)
        return scan_message(event_id, record)
