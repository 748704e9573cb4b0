"""What a ticket prints and what an order's ticket email is about: pure values, checked once on arrival.

Every field a ticket prints comes with the event (OrderConfirmed carries it all), so rendering and
mailing never call back into the booking service. A document that lacks what a ticket must show is
refused here, before anything is recorded, so a bad event is retried and dead-lettered instead of
producing a ticket a gate or a buyer cannot use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apextick_platform.errors import DomainError, ErrorCode, FieldViolation

# Currencies whose minor unit is the unit itself (ISO 4217 exponent 0); every other one we sell in has 2.
_ZERO_DECIMAL = frozenset({"JPY", "KRW", "VND", "CLP", "ISK", "UGX", "XAF", "XOF"})


def format_money(amount_minor: int, currency_code: str) -> str:
    if currency_code.upper() in _ZERO_DECIMAL:
        return f"{currency_code} {amount_minor:,}"
    return f"{currency_code} {amount_minor / 100:,.2f}"


def _single_line(value: str) -> bool:
    # Names end up in mail headers and on one printed line: a line break in one is an attack or a bug.
    return "\n" not in value and "\r" not in value


def _check(fields: dict[str, str], prefix: str = "") -> list[FieldViolation]:
    violations = []
    for name, value in fields.items():
        if not value.strip():
            violations.append(FieldViolation(prefix + name, "is required"))
        elif not _single_line(value):
            violations.append(FieldViolation(prefix + name, "must be one line"))
    return violations


@dataclass(frozen=True)
class Buyer:
    subject: str
    display_name: str
    email: str


@dataclass(frozen=True)
class EventInfo:
    event_id: str
    display_name: str
    venue_name: str
    city: str
    start_time: datetime
    time_zone: str

    def local_start(self) -> datetime:
        """The start as the venue's clock shows it; UTC when the zone is unknown to this machine."""
        try:
            zone = ZoneInfo(self.time_zone) if self.time_zone else UTC
        except (ZoneInfoNotFoundError, ValueError):
            zone = UTC
        return self.start_time.astimezone(zone)

    def when(self) -> str:
        local = self.local_start()
        return f"{local:%a %d %b %Y, %H:%M} ({local.tzname() or 'UTC'})"

    def where(self) -> str:
        return f"{self.venue_name}, {self.city}" if self.city else self.venue_name


@dataclass(frozen=True)
class TicketLine:
    ticket_id: str
    seat_id: str
    section: str
    row: str
    seat_label: str
    tier_id: str
    tier_name: str
    price_minor: int
    code: str

    def seat_text(self) -> str:
        return f"Section {self.section}, row {self.row}, seat {self.seat_label}"


@dataclass(frozen=True)
class TicketDocument:
    """One PDF page: a ticket with everything printed on it."""

    ticket: TicketLine
    order_reference: str
    holder: str
    event: EventInfo


@dataclass(frozen=True)
class OrderTickets:
    """A confirmed order as the ticket email shows it."""

    order_id: str
    reference: str
    buyer: Buyer
    event: EventInfo
    tickets: tuple[TicketLine, ...]
    total_minor: int
    currency_code: str

    def __post_init__(self) -> None:
        violations = _check(
            {
                "order": self.order_id,
                "order_reference": self.reference,
                "buyer.subject": self.buyer.subject,
                "buyer.email": self.buyer.email,
                "event.event": self.event.event_id,
                "event.display_name": self.event.display_name,
                "event.venue_name": self.event.venue_name,
            }
        )
        if self.buyer.display_name and not _single_line(self.buyer.display_name):
            violations.append(FieldViolation("buyer.display_name", "must be one line"))
        if "@" not in self.buyer.email:
            violations.append(FieldViolation("buyer.email", "is not an email address"))
        if not self.tickets:
            violations.append(FieldViolation("tickets", "an order confirms at least one ticket"))
        for index, line in enumerate(self.tickets):
            violations += _check(
                {"ticket": line.ticket_id, "seat_id": line.seat_id, "code": line.code}, f"tickets[{index}]."
            )
        if len({line.ticket_id for line in self.tickets}) != len(self.tickets):
            violations.append(FieldViolation("tickets", "a ticket appears twice"))
        if violations:
            raise DomainError(
                ErrorCode.INVALID_ARGUMENT, "the order cannot be ticketed", violations=violations
            )

    @property
    def holder(self) -> str:
        return self.buyer.display_name or self.buyer.email

    def documents(self) -> list[TicketDocument]:
        return [TicketDocument(line, self.reference, self.holder, self.event) for line in self.tickets]


@dataclass(frozen=True)
class RefundNotice:
    """An order's money went back: the buyer is told, and its tickets are void."""

    order_id: str
    reference: str
    buyer: Buyer
    event: EventInfo
    voided_ticket_ids: tuple[str, ...]
    amount_minor: int
    currency_code: str
    reason: str

    def __post_init__(self) -> None:
        violations = _check({"order": self.order_id, "buyer.email": self.buyer.email})
        if "@" not in self.buyer.email:
            violations.append(FieldViolation("buyer.email", "is not an email address"))
        if violations:
            raise DomainError(
                ErrorCode.INVALID_ARGUMENT, "the refund cannot be notified", violations=violations
            )


def epoch() -> datetime:
    """The start of time, for timestamps an event left unset."""
    return datetime(1970, 1, 1, tzinfo=UTC)
