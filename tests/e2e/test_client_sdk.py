"""The Python SDK does the same over native gRPC and over the REST edge, with the same typed errors."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import grpc
import pytest
from apextick_client.client import ApexTick
from apextick_client.errors import ApexTickError

from tests.e2e.conftest import Identity
from tests.e2e.edge_support import Edge
from tests.e2e.support import build_event


def journey(client: ApexTick, rival: ApexTick, word: str, event: str) -> None:
    assert [e["name"] for e in client.search_events(word)] == [event]
    hold = client.hold_seats(event, ["main-A-1", "main-A-2"])
    assert [s["seatId"] for s in hold["seats"]] == ["main-A-1", "main-A-2"]
    with pytest.raises(ApexTickError) as taken:
        rival.hold_seats(event, ["main-A-2"])
    assert (taken.value.code, taken.value.reason) == (grpc.StatusCode.ABORTED, "SEAT_UNAVAILABLE")
    assert taken.value.metadata["seats"] == "main-A-2"
    assert client.release_hold(hold["name"])["state"] == "HOLD_STATE_RELEASED"

    again = client.hold_seats(event, ["main-A-3"])
    order = client.checkout(again["name"])
    assert order["state"] == "ORDER_STATE_PENDING_PAYMENT"
    assert order["paymentSession"]["sessionId"].startswith("cs_")
    assert client.get_order(order["name"]) == order
    assert [o["name"] for o in client.list_orders()] == [order["name"]]
    with pytest.raises(ApexTickError) as foreign:
        rival.get_order(order["name"])
    assert (foreign.value.code, foreign.value.reason) == (grpc.StatusCode.NOT_FOUND, "ORDER_NOT_FOUND")
    assert client.cancel_order(order["name"])["state"] == "ORDER_STATE_CANCELLED"
    assert client.list_tickets() == []


@pytest.mark.parametrize("via", ["grpc", "rest"])
async def test_the_same_journey_over_grpc_and_rest(
    via: str, catalog: Any, identity: Identity, edge: Edge, booking_target: str
) -> None:
    word = f"sdk{uuid.uuid4().hex[:8]}"
    built = await build_event(catalog, identity.auth("organizer"), f"Sdk {word}", rows=1, per_row=4)
    where = {"grpc_target": booking_target} if via == "grpc" else {"rest_url": edge.rest}
    client = ApexTick(token=identity.token("customer"), **where)
    rival = ApexTick(token=identity.token("customer"), **where)
    try:
        await asyncio.to_thread(journey, client, rival, word, built.event.name)
    finally:
        client.close()
        rival.close()
