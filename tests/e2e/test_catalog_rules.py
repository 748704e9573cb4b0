"""Bad input, ownership, retries and the all-or-nothing rule, checked against the database itself."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable
from typing import Any

import grpc
import psycopg
from apextick.catalog.v1 import catalog_service_pb2 as svc
from apextick.catalog.v1 import catalog_service_pb2_grpc as catalog_grpc
from apextick.catalog.v1 import event_pb2, venue_pb2
from apextick.events.v1 import catalog_events_pb2
from google.protobuf.field_mask_pb2 import FieldMask

from tests.e2e.conftest import Identity
from tests.e2e.support import build_event, rich_error, rid, venue_message


def scalar(database_url: str, sql: str, *params: object) -> object:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(sql, params).fetchone()
        return row[0] if row else None


async def test_malformed_input_lists_field_violations(
    catalog: catalog_grpc.CatalogServiceAsyncStub, identity: Identity
) -> None:
    bad = svc.CreateVenueRequest(
        venue=venue_pb2.Venue(display_name="", city="X", country_code="lk", time_zone="UTC"),
        request_id="not-a-uuid",
    )
    error = await rich_error(catalog.CreateVenue(bad, metadata=identity.auth("organizer")))
    assert (error.code, error.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ARGUMENT")
    assert set(error.field_violations) == {"venue.country_code", "request_id"}

    missing = svc.CreateVenueRequest(venue=venue_pb2.Venue(city="X", country_code="LK"), request_id=rid())
    error = await rich_error(catalog.CreateVenue(missing, metadata=identity.auth("organizer")))
    assert error.reason == "INVALID_ARGUMENT"
    assert set(error.field_violations) == {"venue.display_name", "venue.time_zone"}


async def test_nul_characters_are_refused_before_any_query(
    catalog: catalog_grpc.CatalogServiceAsyncStub, identity: Identity
) -> None:
    """PostgreSQL text cannot hold U+0000; such input is the caller's error, never an INTERNAL one."""
    search = catalog.ListEvents(svc.ListEventsRequest(filter=svc.EventFilter(city="Col\x00ombo")))
    error = await rich_error(search)
    assert (error.code, error.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ARGUMENT")
    assert error.field_violations == ["filter.city"]
    venue = venue_message()
    venue.display_name = "Hall\x00"
    create = catalog.CreateVenue(
        svc.CreateVenueRequest(venue=venue, request_id=rid()), metadata=identity.auth("organizer")
    )
    assert (await rich_error(create)).reason == "INVALID_ARGUMENT"


async def test_unknown_ids_are_not_found(catalog: catalog_grpc.CatalogServiceAsyncStub) -> None:
    cases: list[tuple[Awaitable[Any], str]] = [
        (catalog.GetVenue(svc.GetVenueRequest(name=f"venues/{uuid.uuid4()}")), "VENUE_NOT_FOUND"),
        (catalog.GetVenue(svc.GetVenueRequest(name="venues/not-a-uuid")), "VENUE_NOT_FOUND"),
        (catalog.GetEvent(svc.GetEventRequest(name=f"events/{uuid.uuid4()}")), "EVENT_NOT_FOUND"),
        (
            catalog.GetSeatMap(svc.GetSeatMapRequest(name=f"venues/{uuid.uuid4()}/seatMaps/{uuid.uuid4()}")),
            "SEAT_MAP_NOT_FOUND",
        ),
        (
            catalog.GetEventSeatMap(svc.GetEventSeatMapRequest(event=f"events/{uuid.uuid4()}")),
            "EVENT_NOT_FOUND",
        ),
    ]
    for call, reason in cases:
        error = await rich_error(call)
        assert (error.code, error.reason) == (grpc.StatusCode.NOT_FOUND, reason)


async def test_callers_need_the_declared_role_and_a_valid_token(
    catalog: catalog_grpc.CatalogServiceAsyncStub, identity: Identity
) -> None:
    request = svc.CreateVenueRequest(venue=venue_message(), request_id=rid())
    anonymous = await rich_error(catalog.CreateVenue(request))
    assert (anonymous.code, anonymous.reason) == (grpc.StatusCode.UNAUTHENTICATED, "TOKEN_MISSING")
    customer = await rich_error(catalog.CreateVenue(request, metadata=identity.auth("customer")))
    assert (customer.code, customer.reason) == (grpc.StatusCode.PERMISSION_DENIED, "ROLE_REQUIRED")

    expired = identity.token("organizer", exp=1_000_000, iat=999_000, nbf=999_000)
    wrong_audience = identity.token("organizer", aud="account")
    for token in (expired, wrong_audience, "garbage"):
        for call in (
            catalog.CreateVenue(request, metadata=(("authorization", f"Bearer {token}"),)),
            catalog.ListEvents(svc.ListEventsRequest(), metadata=(("authorization", f"Bearer {token}"),)),
        ):
            error = await rich_error(call)
            assert (error.code, error.reason) == (grpc.StatusCode.UNAUTHENTICATED, "TOKEN_INVALID")


async def test_organizers_cannot_touch_each_others_events(
    catalog: catalog_grpc.CatalogServiceAsyncStub, identity: Identity
) -> None:
    owner = identity.auth("organizer", subject=f"a-{uuid.uuid4().hex[:6]}")
    rival = identity.auth("organizer", subject=f"b-{uuid.uuid4().hex[:6]}")
    built = await build_event(catalog, owner, "Owned", rows=1, per_row=2, publish=False)
    event = event_pb2.Event(name=built.event.name, display_name="Hijacked")
    attempts: list[tuple[Awaitable[Any], str]] = [
        (
            catalog.UpdateEvent(
                svc.UpdateEventRequest(
                    event=event, update_mask=FieldMask(paths=["display_name"]), request_id=rid()
                ),
                metadata=rival,
            ),
            "EVENT_NOT_FOUND",
        ),
        (
            catalog.PublishEvent(
                svc.PublishEventRequest(name=built.event.name, request_id=rid()), metadata=rival
            ),
            "EVENT_NOT_FOUND",
        ),
        (
            catalog.CancelEvent(
                svc.CancelEventRequest(name=built.event.name, request_id=rid()), metadata=rival
            ),
            "EVENT_NOT_FOUND",
        ),
        (
            catalog.DeletePriceTier(
                svc.DeletePriceTierRequest(name=f"{built.event.name}/priceTiers/vip", request_id=rid()),
                metadata=rival,
            ),
            "EVENT_NOT_FOUND",
        ),
        (
            catalog.CreateSeatMap(
                svc.CreateSeatMapRequest(
                    parent=built.venue.name,
                    display_name="x",
                    request_id=rid(),
                    sections=[
                        venue_pb2.SectionSpec(
                            section_id="a", grid=venue_pb2.GridSpec(row_count=1, seats_per_row=1)
                        )
                    ],
                ),
                metadata=rival,
            ),
            "VENUE_NOT_FOUND",
        ),
        (
            catalog.UpdateVenue(svc.UpdateVenueRequest(venue=built.venue, request_id=rid()), metadata=rival),
            "VENUE_NOT_FOUND",
        ),
    ]
    for call, reason in attempts:
        error = await rich_error(call)
        assert (error.code, error.reason) == (grpc.StatusCode.NOT_FOUND, reason)
    unchanged = await catalog.GetEvent(svc.GetEventRequest(name=built.event.name), metadata=owner)
    assert unchanged.event.display_name == "Owned"
    assert unchanged.event.state == event_pb2.EVENT_STATE_DRAFT

    admin_update = svc.UpdateEventRequest(
        event=event, update_mask=FieldMask(paths=["display_name"]), request_id=rid()
    )
    updated = await catalog.UpdateEvent(admin_update, metadata=identity.auth("admin"))
    assert updated.event.display_name == "Hijacked"


async def test_retries_replay_the_first_outcome(
    catalog: catalog_grpc.CatalogServiceAsyncStub, identity: Identity, database_url: str
) -> None:
    subject = f"retry-{uuid.uuid4().hex[:6]}"
    auth = identity.auth("organizer", subject=subject)
    request = svc.CreateVenueRequest(venue=venue_message(), request_id=rid())
    results = await asyncio.gather(*(catalog.CreateVenue(request, metadata=auth) for _ in range(5)))
    assert len({r.venue.name for r in results}) == 1
    again = await catalog.CreateVenue(request, metadata=auth)
    assert again.venue.name == results[0].venue.name
    assert scalar(database_url, "SELECT count(*) FROM venue WHERE owner = %s", subject) == 1

    reused = svc.CreateVenueRequest(venue=venue_message(city="Kandy"), request_id=request.request_id)
    error = await rich_error(catalog.CreateVenue(reused, metadata=auth))
    assert (error.code, error.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "REQUEST_ID_REUSED")

    other_caller = await catalog.CreateVenue(request, metadata=identity.auth("organizer"))
    assert other_caller.venue.name != results[0].venue.name  # request ids are scoped to their caller


async def test_publishing_is_all_or_nothing(
    catalog: catalog_grpc.CatalogServiceAsyncStub, identity: Identity, database_url: str
) -> None:
    auth = identity.auth("organizer")
    built = await build_event(catalog, auth, "Half priced", rows=2, per_row=3, publish=False)
    await catalog.DeletePriceTier(
        svc.DeletePriceTierRequest(name=f"{built.event.name}/priceTiers/standard", request_id=rid()),
        metadata=auth,
    )
    error = await rich_error(
        catalog.PublishEvent(svc.PublishEventRequest(name=built.event.name, request_id=rid()), metadata=auth)
    )
    assert (error.code, error.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "TIERS_INCOMPLETE")
    assert error.metadata["unpriced_seats"] == "main-B-1,main-B-2,main-B-3"

    event_id = built.event.name.split("/")[1]
    assert scalar(database_url, "SELECT status FROM event WHERE id = %s", event_id) == "DRAFT"
    assert scalar(database_url, "SELECT count(*) FROM event_seat WHERE event_id = %s", event_id) == 0
    assert scalar(database_url, "SELECT count(*) FROM outbox WHERE aggregate_id = %s", event_id) == 0


async def test_publish_and_cancel_write_events_to_the_outbox(
    catalog: catalog_grpc.CatalogServiceAsyncStub, identity: Identity, database_url: str
) -> None:
    auth = identity.auth("organizer")
    built = await build_event(catalog, auth, "Outboxed", rows=2, per_row=2)
    event_id = built.event.name.split("/")[1]
    assert scalar(database_url, "SELECT count(*) FROM event_seat WHERE event_id = %s", event_id) == 4
    await catalog.CancelEvent(
        svc.CancelEventRequest(name=built.event.name, reason="storm", request_id=rid()), metadata=auth
    )
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT id, type, routing_key, payload FROM outbox WHERE aggregate_id = %s ORDER BY created_at",
            (event_id,),
        ).fetchall()
    assert [(r[1], r[2]) for r in rows] == [
        ("apextick.events.v1.EventPublished", "catalog.event_published"),
        ("apextick.events.v1.EventCancelled", "catalog.event_cancelled"),
    ]
    published = catalog_events_pb2.EventPublished.FromString(rows[0][3])
    assert (published.event, published.seat_count, published.metadata.event_id) == (
        built.event.name,
        4,
        str(rows[0][0]),
    )
    cancelled = catalog_events_pb2.EventCancelled.FromString(rows[1][3])
    assert cancelled.reason == "storm"


async def test_published_events_keep_their_seat_map_and_currency(
    catalog: catalog_grpc.CatalogServiceAsyncStub, identity: Identity
) -> None:
    auth = identity.auth("organizer")
    built = await build_event(catalog, auth, "Fixed", rows=1, per_row=2)
    change = event_pb2.Event(name=built.event.name, currency_code="USD")
    error = await rich_error(
        catalog.UpdateEvent(
            svc.UpdateEventRequest(
                event=change, update_mask=FieldMask(paths=["currency_code"]), request_id=rid()
            ),
            metadata=auth,
        )
    )
    assert (error.code, error.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "EVENT_NOT_DRAFT")

    seat_map_change = svc.UpdateSeatMapRequest(
        name=built.seat_map.name,
        display_name="Bigger",
        request_id=rid(),
        sections=[
            venue_pb2.SectionSpec(section_id="main", grid=venue_pb2.GridSpec(row_count=2, seats_per_row=2))
        ],
    )
    error = await rich_error(catalog.UpdateSeatMap(seat_map_change, metadata=auth))
    assert error.reason == "SEAT_MAP_IN_USE"

    renamed = event_pb2.Event(name=built.event.name, display_name="Fixed Renamed")
    result = await catalog.UpdateEvent(
        svc.UpdateEventRequest(
            event=renamed, update_mask=FieldMask(paths=["display_name"]), request_id=rid()
        ),
        metadata=auth,
    )
    assert result.event.display_name == "Fixed Renamed"
    assert result.event.currency_code == "LKR"
