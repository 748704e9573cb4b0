"""Demo data through the public gRPC API, as an organizer would create it.

Every request carries a request_id derived from its purpose, so running the seed again (every
`make up` does) replays the first outcome instead of creating duplicates."""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import grpc
from apextick.catalog.v1 import catalog_service_pb2 as svc
from apextick.catalog.v1 import catalog_service_pb2_grpc as svc_grpc
from apextick.catalog.v1 import event_pb2, venue_pb2
from apextick.gates.v1 import gate_service_pb2 as gsv
from apextick.gates.v1 import gate_service_pb2_grpc as gsv_grpc
from google.protobuf.timestamp_pb2 import Timestamp


def _request_id(purpose: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"apextick-demo-seed:{purpose}"))


def _stamp(value: datetime) -> Timestamp:
    result = Timestamp()
    result.FromDatetime(value)
    return result


@dataclass(frozen=True)
class Seeded:
    published: svc.PublishEventResponse
    gate_station: str  # events/{e}/gateStations/{s}, or "" without a gate subject


def seed_demo(target: str, organizer_token: str, anchor: datetime, gate_subject: str = "") -> Seeded:
    """A venue with a 10x20 seat map, two tiers (front rows VIP), an event on sale from `anchor`, and a
    gate station "Main entrance" staffed by `gate_subject` when one is given. The anchor is fixed at
    the first seed, so a replay sends the very same requests."""
    metadata = (("authorization", f"Bearer {organizer_token}"),)
    with grpc.insecure_channel(target) as channel:
        catalog = svc_grpc.CatalogServiceStub(channel)
        venue = catalog.CreateVenue(
            svc.CreateVenueRequest(
                venue=venue_pb2.Venue(
                    display_name="Nelum Pokuna Theatre",
                    address="110 Ananda Coomaraswamy Mawatha",
                    city="Colombo",
                    country_code="LK",
                    time_zone="Asia/Colombo",
                ),
                request_id=_request_id("venue"),
            ),
            metadata=metadata,
        ).venue
        seat_map = catalog.CreateSeatMap(
            svc.CreateSeatMapRequest(
                parent=venue.name,
                display_name="Main hall",
                sections=[
                    venue_pb2.SectionSpec(
                        section_id="main",
                        display_name="Main hall",
                        grid=venue_pb2.GridSpec(row_count=10, seats_per_row=20),
                    )
                ],
                request_id=_request_id("seat-map"),
            ),
            metadata=metadata,
        ).seat_map
        now = anchor.replace(microsecond=0)
        event = catalog.CreateEvent(
            svc.CreateEventRequest(
                event=event_pb2.Event(
                    display_name="Rosewood Strings Live",
                    description="An evening of strings under the lotus roof.",
                    category="concert",
                    seat_map=seat_map.name,
                    start_time=_stamp(now + timedelta(days=30)),
                    end_time=_stamp(now + timedelta(days=30, hours=3)),
                    sale_start_time=_stamp(now - timedelta(minutes=1)),
                    sale_end_time=_stamp(now + timedelta(days=29)),
                    max_seats_per_customer=4,
                    currency_code="LKR",
                ),
                request_id=_request_id("event"),
            ),
            metadata=metadata,
        ).event
        tiers = [
            ("vip", "VIP", 1_500_000, [f"main-{row}-{n}" for row in "AB" for n in range(1, 21)], []),
            ("standard", "Standard", 750_000, [], ["main"]),
        ]
        for tier_id, name, price, seats, sections in tiers:
            catalog.CreatePriceTier(
                svc.CreatePriceTierRequest(
                    parent=event.name,
                    price_tier_id=tier_id,
                    price_tier=event_pb2.PriceTier(
                        display_name=name, price_minor=price, seat_ids=seats, section_ids=sections
                    ),
                    request_id=_request_id(f"tier-{tier_id}"),
                ),
                metadata=metadata,
            )
        published: svc.PublishEventResponse = catalog.PublishEvent(
            svc.PublishEventRequest(name=event.name, request_id=_request_id("publish")), metadata=metadata
        )
        if gate_subject:
            station = gsv.GateStation(display_name="Main entrance", staff=[gate_subject])
            request = gsv.CreateGateStationRequest(
                parent=event.name, gate_station=station, request_id=_request_id("gate-main")
            )
            created = gsv_grpc.GateServiceStub(channel).CreateGateStation(request, metadata=metadata)
            return Seeded(published, created.gate_station.name)
        return Seeded(published, "")


def token_subject(token: str) -> str:
    """The `sub` of one's own access token, read without verifying it (the service verifies it when the
    token is used): it names the demo gate user as the staff of the demo gate station."""
    payload = token.split(".")[1]
    subject: str = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"]
    return subject
