"""Seat-map responses of published events, built once and then patched: a read of a 10,000-seat map
changes only the seats whose status moved since the last read, instead of building 10,000 messages."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from uuid import UUID

from apextick.catalog.v1 import catalog_service_pb2 as svc

from booking.domain.event import EventStatus
from booking.domain.venue import SeatMap
from booking.entrypoints.grpc.catalog_mapping import count_statuses, seat_map_response, seat_status
from booking.service_layer.event_use_cases import EventSeatMap


@dataclass
class _Entry:
    layout: SeatMap  # the cached layout object the response was built from
    response: svc.GetEventSeatMapResponse
    index: dict[str, int]
    statuses: Mapping[str, str]  # the copy the response shows: the cache's own (shared, read-only) dict


def _entry(view: EventSeatMap) -> _Entry:
    response = seat_map_response(view)
    index = {seat.seat_id: i for i, seat in enumerate(response.seats)}
    return _Entry(view.seat_map, response, index, view.statuses)


class SeatMapResponses:
    def __init__(self, size: int = 32) -> None:
        self._size = size
        self._entries: OrderedDict[UUID, _Entry] = OrderedDict()

    async def render(self, view: EventSeatMap) -> svc.GetEventSeatMapResponse:
        """Building a response (up to 50,000 seat messages) runs in a worker thread, so the event loop
        keeps turning; the cache itself is only touched on the loop."""
        if view.event.status is EventStatus.DRAFT:
            # Drafts change freely; they are never hot.
            return await asyncio.to_thread(seat_map_response, view)
        entry = self._entries.get(view.event.id)
        if entry is None or entry.layout is not view.seat_map:
            entry = self._keep(view.event.id, await asyncio.to_thread(_entry, view))
        else:
            self._patch(entry, view.statuses)
        self._entries.move_to_end(view.event.id)
        reply = svc.GetEventSeatMapResponse()
        reply.CopyFrom(entry.response)  # later patches must not reach a reply still being sent
        return reply

    def _keep(self, event_id: UUID, entry: _Entry) -> _Entry:
        self._entries[event_id] = entry
        if len(self._entries) > self._size:
            self._entries.popitem(last=False)
        return entry

    @staticmethod
    def _patch(entry: _Entry, statuses: Mapping[str, str]) -> None:
        if statuses is entry.statuses:
            return  # the cache served the same copy: nothing changed since (no 10,000-item diff)
        changed = statuses.items() - entry.statuses.items()
        for seat, status in changed:
            position = entry.index.get(seat)
            if position is not None:
                entry.response.seats[position].status = seat_status(status)
        if changed:
            count_statuses(entry.response, statuses)
        entry.statuses = statuses
