"""CatalogService: protobuf in, use case, protobuf out. Rules live in the domain and use cases."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any

from apextick.catalog.v1 import catalog_service_pb2 as svc
from apextick.catalog.v1 import catalog_service_pb2_grpc as svc_grpc
from apextick.catalog.v1 import venue_pb2

from apextick_platform import call_context
from apextick_platform.text import one_line
from booking.domain.venue import SeatMap
from booking.entrypoints.grpc import catalog_mapping as m
from booking.entrypoints.grpc import names
from booking.entrypoints.grpc.seat_map_cache import SeatMapResponses
from booking.service_layer.event_use_cases import EventUseCases
from booking.service_layer.venue_use_cases import VenueUseCases

Context = Any  # grpc.aio.ServicerContext; the servicer never touches it (the interceptor does)


async def _seat_map_message(seat_map: SeatMap) -> venue_pb2.SeatMap:
    """In a worker thread: up to 50,000 seat messages would hold the event loop for everyone."""
    return await asyncio.to_thread(m.seat_map_message, seat_map)


class CatalogServicer(svc_grpc.CatalogServiceServicer):
    def __init__(self, venues: VenueUseCases, events: EventUseCases, clock: Callable[[], datetime]) -> None:
        self._venues = venues
        self._events = events
        self._clock = clock
        self._seat_maps = SeatMapResponses()

    # --- venues and seat maps ---------------------------------------------------------------

    async def CreateVenue(self, request: svc.CreateVenueRequest, context: Context) -> svc.CreateVenueResponse:
        venue = await self._venues.create_venue(
            call_context.signed_in(), m.venue_fields(request.venue), m.request_key(request)
        )
        return svc.CreateVenueResponse(venue=m.venue_message(venue))

    async def GetVenue(self, request: svc.GetVenueRequest, context: Context) -> svc.GetVenueResponse:
        venue = await self._venues.get_venue(names.venue_id(request.name))
        return svc.GetVenueResponse(venue=m.venue_message(venue))

    async def ListVenues(self, request: svc.ListVenuesRequest, context: Context) -> svc.ListVenuesResponse:
        page = await self._venues.list_venues(request.page_size, request.page_token)
        return svc.ListVenuesResponse(
            venues=[m.venue_message(v) for v in page.items], next_page_token=page.next_page_token
        )

    async def UpdateVenue(self, request: svc.UpdateVenueRequest, context: Context) -> svc.UpdateVenueResponse:
        venue = await self._venues.update_venue(
            call_context.signed_in(),
            names.venue_id(request.venue.name, "venue.name"),
            m.venue_fields(request.venue),
            m.mask_paths(request),
            m.request_key(request),
        )
        return svc.UpdateVenueResponse(venue=m.venue_message(venue))

    async def CreateSeatMap(
        self, request: svc.CreateSeatMapRequest, context: Context
    ) -> svc.CreateSeatMapResponse:
        seat_map = await self._venues.create_seat_map(
            call_context.signed_in(),
            names.venue_id(request.parent, "parent"),
            one_line(request.display_name),
            m.section_layouts(request.sections),
            m.request_key(request),
        )
        return svc.CreateSeatMapResponse(seat_map=await _seat_map_message(seat_map))

    async def GetSeatMap(self, request: svc.GetSeatMapRequest, context: Context) -> svc.GetSeatMapResponse:
        seat_map = await self._venues.get_seat_map(*names.seat_map_ids(request.name))
        return svc.GetSeatMapResponse(seat_map=await _seat_map_message(seat_map))

    async def ListSeatMaps(
        self, request: svc.ListSeatMapsRequest, context: Context
    ) -> svc.ListSeatMapsResponse:
        summaries = await self._venues.list_seat_maps(names.venue_id(request.parent, "parent"))
        return svc.ListSeatMapsResponse(seat_maps=[m.seat_map_summary_message(s) for s in summaries])

    async def UpdateSeatMap(
        self, request: svc.UpdateSeatMapRequest, context: Context
    ) -> svc.UpdateSeatMapResponse:
        venue_id, seat_map_id = names.seat_map_ids(request.name)
        seat_map = await self._venues.update_seat_map(
            call_context.signed_in(),
            venue_id,
            seat_map_id,
            one_line(request.display_name),
            m.section_layouts(request.sections),
            m.request_key(request),
        )
        return svc.UpdateSeatMapResponse(seat_map=await _seat_map_message(seat_map))

    # --- events -----------------------------------------------------------------------------

    async def CreateEvent(self, request: svc.CreateEventRequest, context: Context) -> svc.CreateEventResponse:
        venue_id, seat_map_id = names.seat_map_ids(request.event.seat_map, "event.seat_map")
        event = await self._events.create_event(
            call_context.signed_in(),
            venue_id,
            seat_map_id,
            m.event_details(request.event, required=True),
            m.request_key(request),
        )
        return svc.CreateEventResponse(event=m.event_message(event, self._clock()))

    async def GetEvent(self, request: svc.GetEventRequest, context: Context) -> svc.GetEventResponse:
        event = await self._events.get_event(call_context.principal(), names.event_id(request.name))
        return svc.GetEventResponse(event=m.event_message(event, self._clock()))

    async def ListEvents(self, request: svc.ListEventsRequest, context: Context) -> svc.ListEventsResponse:
        query = m.event_query(request.filter, request.page_size, organizer=request.organizer)
        page = await self._events.list_events(call_context.principal(), query, request.page_token)
        now = self._clock()
        return svc.ListEventsResponse(
            events=[m.event_message(e, now) for e in page.items], next_page_token=page.next_page_token
        )

    async def SearchEvents(
        self, request: svc.SearchEventsRequest, context: Context
    ) -> svc.SearchEventsResponse:
        query = m.event_query(request.filter, request.page_size, text=request.query)
        page = await self._events.list_events(call_context.principal(), query, request.page_token)
        now = self._clock()
        return svc.SearchEventsResponse(
            events=[m.event_message(e, now) for e in page.items], next_page_token=page.next_page_token
        )

    async def UpdateEvent(self, request: svc.UpdateEventRequest, context: Context) -> svc.UpdateEventResponse:
        mask = m.mask_paths(request)
        seat_map = None
        if not mask or "seat_map" in mask:
            seat_map = names.seat_map_ids(request.event.seat_map, "event.seat_map")
        event = await self._events.update_event(
            call_context.signed_in(),
            names.event_id(request.event.name, "event.name"),
            m.event_details(request.event, required=False),
            seat_map,
            mask,
            m.request_key(request),
        )
        return svc.UpdateEventResponse(event=m.event_message(event, self._clock()))

    async def PublishEvent(
        self, request: svc.PublishEventRequest, context: Context
    ) -> svc.PublishEventResponse:
        event = await self._events.publish_event(
            call_context.signed_in(), names.event_id(request.name), m.request_key(request)
        )
        return svc.PublishEventResponse(event=m.event_message(event, self._clock()))

    async def CancelEvent(self, request: svc.CancelEventRequest, context: Context) -> svc.CancelEventResponse:
        event = await self._events.cancel_event(
            call_context.signed_in(), names.event_id(request.name), request.reason, m.request_key(request)
        )
        return svc.CancelEventResponse(event=m.event_message(event, self._clock()))

    # --- price tiers and the event seat map -------------------------------------------------

    async def CreatePriceTier(
        self, request: svc.CreatePriceTierRequest, context: Context
    ) -> svc.CreatePriceTierResponse:
        (event_id,) = names.parse(request.parent, "events", field="parent")
        tier = m.tier_from(request.price_tier, event_id, request.price_tier_id)
        event, created = await self._events.create_tier(
            call_context.signed_in(), tier, m.request_key(request)
        )
        return svc.CreatePriceTierResponse(price_tier=m.tier_message(created, event.details.currency_code))

    async def UpdatePriceTier(
        self, request: svc.UpdatePriceTierRequest, context: Context
    ) -> svc.UpdatePriceTierResponse:
        event_id, tier_id = names.parse(
            request.price_tier.name, "events", "priceTiers", field="price_tier.name"
        )
        proposed = m.tier_from(request.price_tier, event_id, tier_id)
        event, updated = await self._events.update_tier(
            call_context.signed_in(), proposed, m.mask_paths(request), m.request_key(request)
        )
        return svc.UpdatePriceTierResponse(price_tier=m.tier_message(updated, event.details.currency_code))

    async def DeletePriceTier(
        self, request: svc.DeletePriceTierRequest, context: Context
    ) -> svc.DeletePriceTierResponse:
        event_id, tier_id = names.tier_ids(request.name)
        await self._events.delete_tier(call_context.signed_in(), event_id, tier_id, m.request_key(request))
        return svc.DeletePriceTierResponse()

    async def ListPriceTiers(
        self, request: svc.ListPriceTiersRequest, context: Context
    ) -> svc.ListPriceTiersResponse:
        event, tiers = await self._events.list_tiers(
            call_context.principal(), names.event_id(request.parent, "parent")
        )
        currency = event.details.currency_code
        return svc.ListPriceTiersResponse(price_tiers=[m.tier_message(t, currency) for t in tiers])

    async def GetEventSeatMap(
        self, request: svc.GetEventSeatMapRequest, context: Context
    ) -> svc.GetEventSeatMapResponse:
        view = await self._events.event_seat_map(
            call_context.principal(), names.event_id(request.event, "event")
        )
        return await self._seat_maps.render(view)
