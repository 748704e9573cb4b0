"""Resource names (AIP-122) to ids and back. A well-formed name whose id is not a UUID names
nothing, so it is NOT_FOUND, like any other id that does not exist."""

from __future__ import annotations

from uuid import UUID

from apextick_platform.errors import DomainError, ErrorCode, invalid

NOT_FOUND_BY_COLLECTION = {
    "venues": ErrorCode.VENUE_NOT_FOUND,
    "seatMaps": ErrorCode.SEAT_MAP_NOT_FOUND,
    "events": ErrorCode.EVENT_NOT_FOUND,
    "holds": ErrorCode.HOLD_NOT_FOUND,
    "orders": ErrorCode.ORDER_NOT_FOUND,
    "tickets": ErrorCode.TICKET_NOT_FOUND,
    "gateStations": ErrorCode.GATE_NOT_FOUND,
    "users": ErrorCode.USER_NOT_FOUND,
}


def parse(name: str, *collections: str, field: str = "name") -> list[str]:
    """Split `a/{x}/b/{y}` into [x, y], checking the collection words."""
    parts = name.split("/")
    if len(parts) != 2 * len(collections) or parts[0::2] != list(collections):
        raise invalid(field, f"expected {'/'.join(c + '/{id}' for c in collections)}")
    return parts[1::2]


def as_uuid(value: str, collection: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise DomainError(
            NOT_FOUND_BY_COLLECTION[collection], f"no such {collection[:-1]}", metadata={"id": value}
        ) from None


def user_id(name: str, field: str = "name") -> str:
    """The identity provider's user id (a UUID, checked, so it is safe in the admin API's paths)."""
    (user,) = parse(name, "users", field=field)
    return str(as_uuid(user, "users"))


def venue_id(name: str, field: str = "name") -> UUID:
    (venue,) = parse(name, "venues", field=field)
    return as_uuid(venue, "venues")


def seat_map_ids(name: str, field: str = "name") -> tuple[UUID, UUID]:
    venue, seat_map = parse(name, "venues", "seatMaps", field=field)
    return as_uuid(venue, "venues"), as_uuid(seat_map, "seatMaps")


def event_id(name: str, field: str = "name") -> UUID:
    (event,) = parse(name, "events", field=field)
    return as_uuid(event, "events")


def hold_id(name: str, field: str = "name") -> UUID:
    (hold,) = parse(name, "holds", field=field)
    return as_uuid(hold, "holds")


def order_id(name: str, field: str = "name") -> UUID:
    (order,) = parse(name, "orders", field=field)
    return as_uuid(order, "orders")


def ticket_id(name: str, field: str = "name") -> UUID:
    (ticket,) = parse(name, "tickets", field=field)
    return as_uuid(ticket, "tickets")


def tier_ids(name: str, field: str = "name") -> tuple[UUID, str]:
    event, tier = parse(name, "events", "priceTiers", field=field)
    return as_uuid(event, "events"), tier


def gate_station_ids(name: str, field: str = "name") -> tuple[UUID, UUID]:
    """A gate learns nothing of events from a station name: either part unknown is GATE_NOT_FOUND."""
    event, station = parse(name, "events", "gateStations", field=field)
    return as_uuid(event, "gateStations"), as_uuid(station, "gateStations")


def gate_station_name(event: UUID, station: UUID) -> str:
    return f"events/{event}/gateStations/{station}"


def venue_name(venue: UUID) -> str:
    return f"venues/{venue}"


def seat_map_name(venue: UUID, seat_map: UUID) -> str:
    return f"venues/{venue}/seatMaps/{seat_map}"


def event_name(event: UUID) -> str:
    return f"events/{event}"


def tier_name(event: UUID, tier: str) -> str:
    return f"events/{event}/priceTiers/{tier}"
