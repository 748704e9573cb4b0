"""Small helpers for calling the catalog the way a client would and reading rich errors."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
from apextick.catalog.v1 import catalog_service_pb2 as svc
from apextick.catalog.v1 import catalog_service_pb2_grpc as catalog_grpc
from apextick.catalog.v1 import event_pb2, venue_pb2
from google.protobuf.timestamp_pb2 import Timestamp
from google.rpc import error_details_pb2, status_pb2

Metadata = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class RichError:
    code: grpc.StatusCode
    reason: str
    metadata: dict[str, str]
    field_violations: list[str] = field(default_factory=list)


async def rich_error(call: Awaitable[Any]) -> RichError:
    """Await a call that must fail; decode its google.rpc.Status details."""
    try:
        await call
    except grpc.aio.AioRpcError as error:
        return decoded(error)
    raise AssertionError("the call succeeded but was expected to fail")


def decoded(error: grpc.aio.AioRpcError) -> RichError:
    """A failed call's google.rpc.Status details: its one ErrorInfo and any field violations."""
    trailers: Any = error.trailing_metadata() or ()
    raw = next((value for key, value in trailers if key == "grpc-status-details-bin"), None)
    assert isinstance(raw, bytes), f"no rich status on {error.code()}: {error.details()}"
    status = status_pb2.Status.FromString(raw)
    infos, violations = [], []
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            infos.append(info)
        elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            violations += [v.field for v in bad.field_violations]
    assert len(infos) == 1, "exactly one ErrorInfo per error"
    assert "Traceback" not in (error.details() or "")
    return RichError(error.code(), infos[0].reason, dict(infos[0].metadata), violations)


def rid() -> str:
    return str(uuid.uuid4())


def stamp(value: datetime) -> Timestamp:
    result = Timestamp()
    result.FromDatetime(value)
    return result


def venue_message(city: str = "Colombo") -> venue_pb2.Venue:
    return venue_pb2.Venue(
        display_name="Test Hall", address="1 Main St", city=city, country_code="LK", time_zone="Asia/Colombo"
    )


def event_message(
    seat_map: str,
    title: str,
    *,
    category: str = "concert",
    days: int = 30,
    max_per_customer: int = 4,
    sale_opens_in: timedelta = timedelta(minutes=-5),
) -> event_pb2.Event:
    now = datetime.now(UTC).replace(microsecond=0)
    return event_pb2.Event(
        display_name=title,
        description="A test event",
        category=category,
        seat_map=seat_map,
        start_time=stamp(now + timedelta(days=days)),
        end_time=stamp(now + timedelta(days=days, hours=2)),
        sale_start_time=stamp(now + sale_opens_in),
        sale_end_time=stamp(now + timedelta(days=days - 1)),
        max_seats_per_customer=max_per_customer,
        currency_code="LKR",
    )


@dataclass
class Built:
    venue: venue_pb2.Venue
    seat_map: venue_pb2.SeatMap
    event: event_pb2.Event


async def build_event(
    catalog: catalog_grpc.CatalogServiceAsyncStub,
    auth: Metadata,
    title: str,
    *,
    rows: int = 10,
    per_row: int = 20,
    city: str = "Colombo",
    category: str = "concert",
    days: int = 30,
    publish: bool = True,
    max_per_customer: int = 4,
    sale_opens_in: timedelta = timedelta(minutes=-5),
) -> Built:
    """Venue, rows x per_row grid, a VIP tier on row A and a standard tier on the section, an event."""
    venue = (
        await catalog.CreateVenue(
            svc.CreateVenueRequest(venue=venue_message(city), request_id=rid()), metadata=auth
        )
    ).venue
    grid = venue_pb2.GridSpec(row_count=rows, seats_per_row=per_row)
    seat_map = (
        await catalog.CreateSeatMap(
            svc.CreateSeatMapRequest(
                parent=venue.name,
                display_name="Hall",
                sections=[venue_pb2.SectionSpec(section_id="main", grid=grid)],
                request_id=rid(),
            ),
            metadata=auth,
        )
    ).seat_map
    event = (
        await catalog.CreateEvent(
            svc.CreateEventRequest(
                event=event_message(
                    seat_map.name,
                    title,
                    category=category,
                    days=days,
                    max_per_customer=max_per_customer,
                    sale_opens_in=sale_opens_in,
                ),
                request_id=rid(),
            ),
            metadata=auth,
        )
    ).event
    vip = event_pb2.PriceTier(
        display_name="VIP", price_minor=500_00, seat_ids=[f"main-A-{n}" for n in range(1, per_row + 1)]
    )
    std = event_pb2.PriceTier(display_name="Standard", price_minor=200_00, section_ids=["main"])
    for tier_id, tier in (("vip", vip), ("standard", std)):
        await catalog.CreatePriceTier(
            svc.CreatePriceTierRequest(
                parent=event.name, price_tier_id=tier_id, price_tier=tier, request_id=rid()
            ),
            metadata=auth,
        )
    if publish:
        event = (
            await catalog.PublishEvent(
                svc.PublishEventRequest(name=event.name, request_id=rid()), metadata=auth
            )
        ).event
    return Built(venue, seat_map, event)


async def all_pages(fetch: Callable[[str], Awaitable[Any]]) -> list[Any]:
    items: list[Any] = []
    token = ""
    while True:
        page = await fetch(token)
        items += list(page.events)
        token = page.next_page_token
        if not token:
            return items


# The flash-sale scenario of PERFORMANCE.md, as `apextick bench flash-sale` arguments.
HEADLINE = ("--seats", "200", "--attempts", "5000", "--concurrency", "200")


def assert_every_seat_sold_once(result: Any) -> None:
    """The headline outcome of 5,000 attempts on 200 seats, as the database reports it."""
    assert result["won"] == 200
    assert result["rejected"] == 4800
    assert result["rejected_by_reason"] == {"SEAT_UNAVAILABLE": 4800}
    assert result["errors"] == 0
    assert result["seats_held_twice"] == 0
    assert result["partial_holds"] == 0
    assert result["seats_held_in_db"] == 200
    assert result["lost_acknowledged_holds"] == 0
