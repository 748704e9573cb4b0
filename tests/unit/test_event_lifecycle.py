from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from apextick_platform.errors import DomainError, ErrorCode
from apextick_platform.identity import Principal, Role
from booking.domain.event import Event, EventDetails, EventState, EventStatus, Schedule, merge_details

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
DAY = timedelta(days=1)
OWNER = Principal("owner", frozenset({Role.ORGANIZER}))


def schedule(start: datetime = NOW + 10 * DAY) -> Schedule:
    return Schedule(start, start + timedelta(hours=3), NOW - DAY, start - DAY)


def event(status: EventStatus = EventStatus.DRAFT) -> Event:
    details = EventDetails("Show", "", "concert", schedule(), 4, "LKR")
    return Event(uuid.uuid4(), "owner", uuid.uuid4(), uuid.uuid4(), "Colombo", details, status, 200, NOW, NOW)


def test_state_follows_the_clock_once_published() -> None:
    e = event()
    assert e.state_at(NOW) is EventState.DRAFT
    e.publish(200, NOW)
    assert e.state_at(NOW) is EventState.ON_SALE
    assert e.state_at(NOW - 2 * DAY) is EventState.PUBLISHED
    assert e.state_at(NOW + 9 * DAY + timedelta(hours=1)) is EventState.PUBLISHED  # sale closed, not started
    assert e.state_at(NOW + 11 * DAY) is EventState.ENDED


def test_drafts_are_private_to_their_owner_and_admins() -> None:
    e = event()
    assert e.visible_to(OWNER)
    assert e.visible_to(Principal("someone", frozenset({Role.ADMIN})))
    assert not e.visible_to(Principal("other", frozenset({Role.ORGANIZER})))
    assert not e.visible_to(None)
    e.publish(200, NOW)
    assert e.visible_to(None)


def test_publishing_twice_or_after_the_end_is_refused() -> None:
    e = event()
    e.publish(200, NOW)
    with pytest.raises(DomainError) as caught:
        e.publish(200, NOW)
    assert caught.value.code is ErrorCode.EVENT_NOT_DRAFT
    late = event()
    with pytest.raises(DomainError, match="already over"):
        late.publish(200, NOW + 30 * DAY)


def test_fixed_fields_only_change_in_draft_and_closed_events_not_at_all() -> None:
    e = event()
    e.publish(200, NOW)
    e.update(replace(e.details, display_name="New"), {"display_name"}, NOW)
    assert e.details.display_name == "New"
    with pytest.raises(DomainError) as caught:
        e.update(e.details, {"currency_code"}, NOW)
    assert caught.value.code is ErrorCode.EVENT_NOT_DRAFT
    e.cancel("storm", NOW)
    with pytest.raises(DomainError) as closed:
        e.update(e.details, {"display_name"}, NOW)
    assert closed.value.code is ErrorCode.EVENT_CLOSED
    with pytest.raises(DomainError):
        e.cancel("again", NOW)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"end": NOW}, "event.end_time"),
        ({"sale_end": NOW - 2 * DAY}, "event.sale_end_time"),
        ({"sale_end": NOW + 20 * DAY}, "event.sale_end_time"),
    ],
)
def test_inconsistent_schedules_are_refused(change: dict[str, datetime], field: str) -> None:
    with pytest.raises(DomainError) as caught:
        replace(schedule(), **change).check()
    assert caught.value.code is ErrorCode.SCHEDULE_INVALID
    assert field in {v.field for v in caught.value.violations}


def test_merge_takes_only_masked_fields() -> None:
    current = event().details
    proposed = EventDetails("Other", "desc", "sport", schedule(NOW + 20 * DAY), 2, "USD")
    merged = merge_details(current, proposed, {"display_name", "start_time"})
    assert merged.display_name == "Other"
    assert merged.schedule.start == NOW + 20 * DAY
    assert merged.schedule.end == current.schedule.end
    assert (merged.category, merged.currency_code, merged.max_seats_per_customer) == ("concert", "LKR", 4)
