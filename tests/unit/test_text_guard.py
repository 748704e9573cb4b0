"""Requests carrying NUL characters are refused before any query sees them."""

from __future__ import annotations

import pytest
from apextick.catalog.v1 import catalog_service_pb2 as cat
from apextick.catalog.v1 import event_pb2
from apextick.inventory.v1 import inventory_service_pb2 as inv
from apextick.orders.v1 import order_pb2

from apextick_platform.errors import DomainError, ErrorCode
from apextick_platform.grpc.text_guard import reject_nul_characters


def test_clean_requests_pass() -> None:
    reject_nul_characters(inv.HoldSeatsRequest(event="events/e", seat_ids=["A-1", "A-2"], request_id="r"))
    reject_nul_characters(cat.ListEventsRequest(filter=cat.EventFilter(city="Colombo")))


@pytest.mark.parametrize(
    ("request_message", "path"),
    [
        (cat.ListEventsRequest(filter=cat.EventFilter(city="Col\x00ombo")), "filter.city"),
        (inv.HoldSeatsRequest(event="events/e", seat_ids=["A-1", "A\x00-2"]), "seat_ids"),
        (cat.CreateEventRequest(event=event_pb2.Event(display_name="x\x00")), "event.display_name"),
        (order_pb2.PaymentSession(form_fields={"amount": "1\x00"}), "form_fields[amount]"),
    ],
)
def test_nul_characters_are_invalid_arguments_naming_the_field(request_message: object, path: str) -> None:
    with pytest.raises(DomainError) as refused:
        reject_nul_characters(request_message)  # type: ignore[arg-type]
    assert refused.value.code is ErrorCode.INVALID_ARGUMENT
    assert [v.field for v in refused.value.violations] == [path]
