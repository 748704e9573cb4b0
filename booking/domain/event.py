"""Events: a schedule, a sale window, a state machine, and who may see and change them."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from apextick_platform.errors import DomainError, ErrorCode, FieldViolation, require
from apextick_platform.identity import Principal


class EventStatus(StrEnum):
    """What is stored. ON_SALE and ENDED are read off the clock by ``Event.state_at``."""

    DRAFT = "DRAFT"
    PUBLISHED = "PUBLISHED"
    CANCELLED = "CANCELLED"


class EventState(StrEnum):
    DRAFT = "DRAFT"
    PUBLISHED = "PUBLISHED"
    ON_SALE = "ON_SALE"
    CANCELLED = "CANCELLED"
    ENDED = "ENDED"


@dataclass(frozen=True)
class Schedule:
    start: datetime
    end: datetime
    sale_start: datetime
    sale_end: datetime

    def check(self) -> None:
        """The sale opens before it closes and closes by the end; the event ends after it starts."""
        problems = []
        if self.end <= self.start:
            problems.append(FieldViolation("event.end_time", "must be after start_time"))
        if self.sale_end <= self.sale_start:
            problems.append(FieldViolation("event.sale_end_time", "must be after sale_start_time"))
        if self.sale_end > self.end:
            problems.append(FieldViolation("event.sale_end_time", "must not be after end_time"))
        if problems:
            raise DomainError(ErrorCode.SCHEDULE_INVALID, "the schedule is inconsistent", violations=problems)


# Fields an organizer may change, and whether they stay changeable after publishing.
MUTABLE_FIELDS: dict[str, bool] = {
    "display_name": True,
    "description": True,
    "category": True,
    "start_time": True,
    "end_time": True,
    "sale_start_time": True,
    "sale_end_time": True,
    "max_seats_per_customer": True,
    "refund_policy": True,
    "seat_map": False,
    "currency_code": False,
}


@dataclass(frozen=True)
class EventDetails:
    """The organizer-editable part of an event."""

    display_name: str
    description: str
    category: str
    schedule: Schedule
    max_seats_per_customer: int
    currency_code: str
    # Customers may ask for a refund of a paid order until this many hours before the start; None: never.
    refund_until_hours: int | None = None

    def check(self) -> None:
        require(
            {
                "event.display_name": self.display_name,
                "event.category": self.category,
                "event.max_seats_per_customer": self.max_seats_per_customer,
                "event.currency_code": self.currency_code,
            }
        )
        self.schedule.check()


@dataclass
class Event:
    id: UUID
    organizer: str
    venue_id: UUID
    seat_map_id: UUID
    city: str
    details: EventDetails
    status: EventStatus
    seat_count: int
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str = ""

    def state_at(self, now: datetime) -> EventState:
        if self.status is EventStatus.DRAFT:
            return EventState.DRAFT
        if self.status is EventStatus.CANCELLED:
            return EventState.CANCELLED
        schedule = self.details.schedule
        if now >= schedule.end:
            return EventState.ENDED
        if schedule.sale_start <= now < schedule.sale_end:
            return EventState.ON_SALE
        return EventState.PUBLISHED

    def visible_to(self, principal: Principal | None) -> bool:
        """Drafts are private to their organizer (and admins); everything else is public."""
        if self.status is not EventStatus.DRAFT:
            return True
        return principal is not None and principal.can_manage(self.organizer)

    def ensure_open(self, now: datetime) -> None:
        if self.state_at(now) in (EventState.CANCELLED, EventState.ENDED):
            raise DomainError(ErrorCode.EVENT_CLOSED, "the event is cancelled or over")

    def ensure_draft(self) -> None:
        if self.status is not EventStatus.DRAFT:
            raise DomainError(ErrorCode.EVENT_NOT_DRAFT, "only a draft event can change this")

    def update(self, details: EventDetails, fields: set[str], now: datetime) -> None:
        """Apply the named fields. Fixed fields need a draft; a closed event changes no more."""
        self.ensure_open(now)
        if self.status is not EventStatus.DRAFT and any(not MUTABLE_FIELDS[f] for f in fields):
            raise DomainError(ErrorCode.EVENT_NOT_DRAFT, "seat map and currency are fixed once published")
        details.check()
        self.details = details
        self.updated_at = now

    def publish(self, seat_count: int, now: datetime) -> None:
        self.ensure_draft()
        self.details.check()
        if self.details.schedule.end <= now:
            raise DomainError(ErrorCode.SCHEDULE_INVALID, "the event is already over")
        self.status = EventStatus.PUBLISHED
        self.seat_count = seat_count
        self.published_at = now
        self.updated_at = now

    def cancel(self, reason: str, now: datetime) -> None:
        self.ensure_open(now)
        self.status = EventStatus.CANCELLED
        self.cancelled_at = now
        self.cancel_reason = reason
        self.updated_at = now


def merge_details(current: EventDetails, proposed: EventDetails, fields: set[str]) -> EventDetails:
    """Take the named fields from ``proposed`` and the rest from ``current`` (an update mask)."""
    schedule_fields = {
        "start_time": "start",
        "end_time": "end",
        "sale_start_time": "sale_start",
        "sale_end_time": "sale_end",
    }
    schedule = replace(
        current.schedule,
        **{
            attr: getattr(proposed.schedule, attr) for name, attr in schedule_fields.items() if name in fields
        },
    )
    plain = {"display_name", "description", "category", "max_seats_per_customer", "currency_code"}
    chosen = {"refund_until_hours" if f == "refund_policy" else f for f in fields}  # the contract's name
    return replace(
        current,
        schedule=schedule,
        **{name: getattr(proposed, name) for name in (plain | {"refund_until_hours"}) & chosen},
    )


def check_customer_refund(refund_until_hours: int | None, starts_at: datetime, now: datetime) -> None:
    """A customer's own refund request is granted only by the event's policy, and only in its window."""
    if refund_until_hours is None:
        raise DomainError(ErrorCode.REFUND_NOT_ALLOWED, "this event's tickets are not refundable")
    deadline = starts_at - timedelta(hours=refund_until_hours)
    if now >= deadline:
        raise DomainError(
            ErrorCode.REFUND_WINDOW_CLOSED,
            "the refund window of this event has closed",
            metadata={"deadline": deadline.isoformat()},
        )
