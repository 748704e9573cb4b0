"""Acceptance: an organizer builds and publishes an event; anyone lists, searches and reads it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import grpc
from apextick.catalog.v1 import catalog_service_pb2 as svc
from apextick.catalog.v1 import catalog_service_pb2_grpc as catalog_grpc
from apextick.catalog.v1 import event_pb2

from tests.e2e.conftest import Identity
from tests.e2e.support import all_pages, build_event, rich_error, stamp


async def test_publish_then_browse_anonymously(
    catalog: catalog_grpc.CatalogServiceAsyncStub, identity: Identity
) -> None:
    word = f"zq{uuid.uuid4().hex[:8]}"
    built = await build_event(catalog, identity.auth("organizer"), f"Rosewood {word} Live")
    assert built.event.state == event_pb2.EVENT_STATE_ON_SALE
    assert built.event.seat_count == 200

    listed = await all_pages(lambda token: catalog.ListEvents(svc.ListEventsRequest(page_token=token)))
    assert built.event.name in {e.name for e in listed}

    found = await catalog.SearchEvents(svc.SearchEventsRequest(query=word[:6].upper()))
    assert [e.name for e in found.events] == [built.event.name]

    seats = await catalog.GetEventSeatMap(svc.GetEventSeatMapRequest(event=built.event.name))
    assert len(seats.seats) == 200
    assert seats.available_count == 200
    assert {s.status for s in seats.seats} == {event_pb2.SEAT_STATUS_AVAILABLE}
    by_tier = {tier: sum(s.price_tier_id == tier for s in seats.seats) for tier in ("vip", "standard")}
    assert by_tier == {"vip": 20, "standard": 180}
    assert {t.name.rsplit("/", 1)[1]: t.price_minor for t in seats.price_tiers} == {
        "vip": 500_00,
        "standard": 200_00,
    }
    corner = next(s for s in seats.seats if s.seat_id == "main-J-20")
    assert (corner.row, corner.number, corner.x, corner.y) == ("J", 20, 19.0, 9.0)

    venue = await catalog.GetVenue(svc.GetVenueRequest(name=built.venue.name))
    assert venue.venue.city == "Colombo"
    seat_map = await catalog.GetSeatMap(svc.GetSeatMapRequest(name=built.seat_map.name))
    assert seat_map.seat_map.seat_count == 200
    assert [r.label for r in seat_map.seat_map.sections[0].rows] == list("ABCDEFGHIJ")


async def test_filters_and_pages(catalog: catalog_grpc.CatalogServiceAsyncStub, identity: Identity) -> None:
    city = f"City{uuid.uuid4().hex[:6]}"
    auth = identity.auth("organizer")
    concerts = [
        await build_event(catalog, auth, f"Night {i}", rows=1, per_row=2, city=city, days=10 + i)
        for i in range(3)
    ]
    await build_event(catalog, auth, "Match", rows=1, per_row=2, city=city, category="cricket", days=20)

    in_city = svc.EventFilter(city=city.lower(), category="concert")
    first = await catalog.ListEvents(svc.ListEventsRequest(filter=in_city, page_size=2))
    second = await catalog.ListEvents(
        svc.ListEventsRequest(filter=in_city, page_size=2, page_token=first.next_page_token)
    )
    assert [e.name for e in [*first.events, *second.events]] == [b.event.name for b in concerts]
    assert second.next_page_token == ""

    soon = svc.EventFilter(city=city, start_before=stamp(datetime.now(UTC) + timedelta(days=11, hours=12)))
    assert [e.name for e in (await catalog.ListEvents(svc.ListEventsRequest(filter=soon))).events] == [
        concerts[0].event.name,
        concerts[1].event.name,
    ]

    wrong_query = svc.ListEventsRequest(filter=svc.EventFilter(city=city), page_token=first.next_page_token)
    error = await rich_error(catalog.ListEvents(wrong_query))
    assert (error.code, error.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "PAGE_TOKEN_INVALID")


async def test_drafts_are_visible_only_to_their_organizer(
    catalog: catalog_grpc.CatalogServiceAsyncStub, identity: Identity
) -> None:
    owner = identity.auth("organizer", subject=f"org-{uuid.uuid4().hex[:6]}")
    draft = await build_event(catalog, owner, "Secret draft", rows=1, per_row=2, publish=False)
    assert draft.event.state == event_pb2.EVENT_STATE_DRAFT

    assert (await catalog.GetEvent(svc.GetEventRequest(name=draft.event.name), metadata=owner)).event.name
    for who in ((), identity.auth("organizer"), identity.auth("customer")):
        error = await rich_error(catalog.GetEvent(svc.GetEventRequest(name=draft.event.name), metadata=who))
        assert (error.code, error.reason) == (grpc.StatusCode.NOT_FOUND, "EVENT_NOT_FOUND")
    admin = identity.auth("admin")
    assert (await catalog.GetEvent(svc.GetEventRequest(name=draft.event.name), metadata=admin)).event.name

    public = await all_pages(lambda token: catalog.ListEvents(svc.ListEventsRequest(page_token=token)))
    assert draft.event.name not in {e.name for e in public}
    mine = await catalog.ListEvents(svc.ListEventsRequest(organizer="me"), metadata=owner)
    assert [e.name for e in mine.events] == [draft.event.name]
    error = await rich_error(catalog.ListEvents(svc.ListEventsRequest(organizer="me")))
    assert error.reason == "TOKEN_MISSING"
