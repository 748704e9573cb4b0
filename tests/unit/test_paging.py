from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from apextick_platform.errors import DomainError, ErrorCode
from booking.service_layer import paging
from booking.service_layer.ports import Cursor


def test_round_trip_and_binding_to_the_query() -> None:
    cursor = Cursor(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), uuid.uuid4())
    token = paging.encode(cursor, "q1")
    assert paging.decode(token, "q1") == cursor
    assert paging.decode("", "q1") is None
    with pytest.raises(DomainError) as caught:
        paging.decode(token, "q2")
    assert caught.value.code is ErrorCode.PAGE_TOKEN_INVALID


@pytest.mark.parametrize("token", ["!!!", "bm90IGpzb24", "e30"])
def test_garbage_tokens_are_invalid(token: str) -> None:
    with pytest.raises(DomainError):
        paging.decode(token, "q")
