"""Catalog protobuf messages to domain values and back. No rules here: only shapes."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from apextick.catalog.v1 import catalog_service_pb2 as svc
from apextick.catalog.v1 import event_pb2, venue_pb2
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from apextick_platform.errors import DomainError, ErrorCode, FieldViolation
from apextick_platform.proto_time import stamp
from apextick_platform.text import one_line, paragraph
from booking.domain.event import Event, EventDetails, Schedule
from booking.domain.pricing import PriceTier
from booking.domain.venue import GridLayout, RowLayout, SeatMap, SeatMapSummary, SectionLayout, Venue
from booking.entrypoints.grpc import names
from booking.service_layer.event_use_cases import EventSeatMap
from booking.service_layer.idempotency import RequestKey
from booking.service_layer.ports import EventQuery
from booking.service_layer.venue_use_cases import VenueFields


def request_key(request: Message) -> RequestKey:
    """The request_id plus a digest of everything else, to tell a retry from a reused id."""
    copy = type(request)()
    copy.CopyFrom(request)
    copy.ClearField("request_id")
    digest = hashlib.sha256(copy.SerializeToString(deterministic=True)).digest()
    return RequestKey(getattr(request, "request_id"), digest)  # noqa: B009 - every mutation has one


def when(value: Timestamp) -> datetime:
    return value.ToDatetime(tzinfo=UTC)


def mask_paths(request: Message) -> set[str]:
    return set(getattr(request, "update_mask").paths)  # noqa: B009


# --- venues -----------------------------------------------------------------------------------


# Every name and description enters through these mappings, folded by the platform's one text policy
# (apextick_platform/text.py): what booking stores, the notification service can always print and send.


def venue_fields(venue: venue_pb2.Venue) -> VenueFields:
    return VenueFields(
        one_line(venue.display_name),
        one_line(venue.address),
        one_line(venue.city),
        one_line(venue.country_code),
        one_line(venue.time_zone),
    )


def venue_message(venue: Venue) -> venue_pb2.Venue:
    return venue_pb2.Venue(
        name=names.venue_name(venue.id),
        display_name=venue.display_name,
        address=venue.address,
        city=venue.city,
        country_code=venue.country_code,
        time_zone=venue.time_zone,
        owner=venue.owner,
        create_time=stamp(venue.created_at),
        update_time=stamp(venue.updated_at),
    )


def section_layouts(specs: Sequence[venue_pb2.SectionSpec]) -> list[SectionLayout]:
    layouts = []
    for spec in specs:
        grid = None
        if spec.HasField("grid"):
            grid = GridLayout(
                spec.grid.row_count, spec.grid.seats_per_row, frozenset(spec.grid.accessible_seat_ids)
            )
        rows = tuple(
            RowLayout(one_line(r.label), r.seat_count, r.first_number, frozenset(r.accessible_numbers))
            for r in spec.rows.rows
        )
        layouts.append(
            SectionLayout(
                spec.section_id, one_line(spec.display_name), grid, rows, spec.origin_x, spec.origin_y
            )
        )
    return layouts


def seat_map_message(seat_map: SeatMap) -> venue_pb2.SeatMap:
    sections = [
        venue_pb2.Section(
            section_id=section.section_id,
            display_name=section.display_name,
            rows=[
                venue_pb2.Row(
                    label=label,
                    seats=[
                        venue_pb2.Seat(
                            seat_id=s.seat_id, number=s.number, x=s.x, y=s.y, accessible=s.accessible
                        )
                        for s in seats
                    ],
                )
                for label, seats in section.rows()
            ],
        )
        for section in seat_map.sections
    ]
    return venue_pb2.SeatMap(
        name=names.seat_map_name(seat_map.venue_id, seat_map.id),
        display_name=seat_map.display_name,
        sections=sections,
        seat_count=seat_map.seat_count,
        create_time=stamp(seat_map.created_at),
        update_time=stamp(seat_map.updated_at),
    )


def seat_map_summary_message(summary: SeatMapSummary) -> venue_pb2.SeatMap:
    return venue_pb2.SeatMap(
        name=names.seat_map_name(summary.venue_id, summary.id),
        display_name=summary.display_name,
        seat_count=summary.seat_count,
        create_time=stamp(summary.created_at),
        update_time=stamp(summary.updated_at),
    )


# --- events -----------------------------------------------------------------------------------

SCHEDULE_FIELDS = ("start_time", "end_time", "sale_start_time", "sale_end_time")


def event_details(event: event_pb2.Event, *, required: bool) -> EventDetails:
    """Read the editable fields. Creating needs the whole schedule; an update reads what it has."""
    missing = [f for f in SCHEDULE_FIELDS if not event.HasField(f)]  # type: ignore[arg-type]
    if required and missing:
        raise DomainError(
            ErrorCode.INVALID_ARGUMENT,
            "the schedule is incomplete",
            violations=[FieldViolation(f"event.{f}", "is required") for f in missing],
        )
    epoch = datetime.fromtimestamp(0, UTC)
    times = [when(getattr(event, f)) if f not in missing else epoch for f in SCHEDULE_FIELDS]
    return EventDetails(
        display_name=one_line(event.display_name),
        description=paragraph(event.description),
        category=one_line(event.category),
        schedule=Schedule(*times),
        max_seats_per_customer=event.max_seats_per_customer,
        currency_code=event.currency_code,
        refund_until_hours=(
            event.refund_policy.until_hours_before_start if event.refund_policy.refundable else None
        ),
    )


def event_message(event: Event, now: datetime) -> event_pb2.Event:
    details = event.details
    schedule = details.schedule
    return event_pb2.Event(
        name=names.event_name(event.id),
        display_name=details.display_name,
        description=details.description,
        category=details.category,
        seat_map=names.seat_map_name(event.venue_id, event.seat_map_id),
        venue=names.venue_name(event.venue_id),
        city=event.city,
        start_time=stamp(schedule.start),
        end_time=stamp(schedule.end),
        sale_start_time=stamp(schedule.sale_start),
        sale_end_time=stamp(schedule.sale_end),
        state=event_pb2.EventState.Value(f"EVENT_STATE_{event.state_at(now).value}"),
        max_seats_per_customer=details.max_seats_per_customer,
        currency_code=details.currency_code,
        organizer=event.organizer,
        seat_count=event.seat_count,
        create_time=stamp(event.created_at),
        update_time=stamp(event.updated_at),
        publish_time=stamp(event.published_at),
        refund_policy=refund_policy_message(details.refund_until_hours),
    )


def refund_policy_message(hours: int | None) -> event_pb2.RefundPolicy | None:
    if hours is None:
        return None
    return event_pb2.RefundPolicy(refundable=True, until_hours_before_start=hours)


def search_terms(text: str) -> tuple[str, ...]:
    """Words of letters and digits only, lower-cased: safe to hand to to_tsquery as prefixes."""
    cleaned = "".join(ch.lower() if ch.isalnum() else " " for ch in text)
    return tuple(cleaned.split())[:10]


def event_query(
    event_filter: svc.EventFilter, page_size: int, organizer: str = "", text: str = ""
) -> EventQuery:
    return EventQuery(
        text_terms=search_terms(text),
        city=event_filter.city,
        category=event_filter.category,
        start_after=when(event_filter.start_after) if event_filter.HasField("start_after") else None,
        start_before=when(event_filter.start_before) if event_filter.HasField("start_before") else None,
        max_price_minor=event_filter.max_price_minor if event_filter.HasField("max_price_minor") else None,
        available_only=event_filter.available_only,
        organizer=organizer,
        limit=page_size,
    )


# --- tiers and seats --------------------------------------------------------------------------


def tier_message(tier: PriceTier, currency: str) -> event_pb2.PriceTier:
    return event_pb2.PriceTier(
        name=names.tier_name(tier.event_id, tier.tier_id),
        display_name=tier.display_name,
        price_minor=tier.price_minor,
        section_ids=tier.section_ids,
        seat_ids=tier.seat_ids,
        currency_code=currency,
    )


def tier_from(message: event_pb2.PriceTier, event_id: str, tier_id: str) -> PriceTier:
    return PriceTier(
        event_id=names.as_uuid(event_id, "events"),
        tier_id=tier_id,
        display_name=one_line(message.display_name),
        price_minor=message.price_minor,
        section_ids=tuple(message.section_ids),
        seat_ids=tuple(message.seat_ids),
    )


def seat_status(status: str) -> event_pb2.SeatStatus.ValueType:
    """Drafts have no inventory yet: their seats report SEAT_STATUS_UNSPECIFIED."""
    return (
        event_pb2.SeatStatus.Value(f"SEAT_STATUS_{status}") if status else event_pb2.SEAT_STATUS_UNSPECIFIED
    )


def seat_map_response(view: EventSeatMap) -> svc.GetEventSeatMapResponse:
    seats = [
        event_pb2.EventSeat(
            seat_id=seat.seat_id,
            section_id=seat.section_id,
            row=seat.row,
            number=seat.number,
            x=seat.x,
            y=seat.y,
            accessible=seat.accessible,
            price_tier_id=view.tier_by_seat.get(seat.seat_id, ""),
            status=seat_status(view.statuses.get(seat.seat_id, "")),
        )
        for seat in view.seat_map.seats
    ]
    currency = view.event.details.currency_code
    response = svc.GetEventSeatMapResponse(
        event=names.event_name(view.event.id),
        seats=seats,
        price_tiers=[tier_message(t, currency) for t in view.tiers],
    )
    count_statuses(response, view.statuses)
    return response


def count_statuses(response: svc.GetEventSeatMapResponse, statuses: Mapping[str, str]) -> None:
    counts = Counter(statuses.values())
    response.available_count = counts["AVAILABLE"]
    response.held_count = counts["HELD"]
    response.booked_count = counts["BOOKED"]
