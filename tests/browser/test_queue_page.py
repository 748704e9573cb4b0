"""The waiting room in Chromium: the organizer turns it on from the dashboard; a customer signed in
through Keycloak joins the pre-queue, sees the commitment, cannot hold yet; the sale opens and the door
turns (as the worker would); the page says it is their turn and the hold goes through with the pass."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from datetime import timedelta

import pytest

from apextick_platform.settings import sqlalchemy_url
from booking import bootstrap
from booking.settings import BookingSettings, OrderSettings
from tests.browser.web_stack import WebStack, new_event, run_scenario
from tests.integration import keycloak_support as kc
from tests.integration.test_keycloak_edge import Realm, realm

pytestmark = pytest.mark.browser
__all__ = ["realm"]
OPENS_IN = timedelta(seconds=45)  # time to set the queue up, sign in and join before the open


async def turn_the_door(database_url: str, redis_url: str, event: str, until: float) -> int:
    """The worker's door on the same database, turned each second until someone is admitted to this
    event (the door turns every open room: other tests' rooms admit too, and say nothing of this one)."""
    settings = BookingSettings(
        database_url=sqlalchemy_url(database_url), redis_url=redis_url,
        orders=OrderSettings(ticket_signing_secret="door-" * 8), queue_pass_secret="the door signs nothing",
    )  # fmt: skip
    container = bootstrap.build(settings)
    await container.open()
    try:
        assert container.waiting_room is not None
        event_id = uuid.UUID(event.removeprefix("events/"))
        while time.monotonic() < until:
            await container.waiting_room.door()
            if (await container.waiting_room.room(event_id)).admitted:
                return 1
            await asyncio.sleep(1)
        return 0
    finally:
        await container.close()


def test_a_customer_waits_in_the_queue_then_holds_with_the_pass(
    realm: Realm, web_stack: WebStack, database_url: str, redis_url: str
) -> None:
    organizer = realm.token("organizer")["access_token"]
    event, seats = new_event(web_stack, organizer, 6, sale_opens_in=OPENS_IN)
    opens_at = time.monotonic() + OPENS_IN.total_seconds()
    admitted: list[int] = []

    def open_the_sale() -> None:
        admitted.append(asyncio.run(turn_the_door(database_url, redis_url, event, opens_at + 40)))

    result = run_scenario("queue", {
        "APEXTICK_WEB": web_stack.origin, "APEXTICK_EVENT": event, "APEXTICK_SEAT": seats[1],
        "APEXTICK_USER": f"demo-customer:{realm.password}",
        "APEXTICK_ORGANIZER": f"demo-organizer:{realm.password}",
    }, on_ready=open_the_sale)  # fmt: skip
    assert admitted == [1]
    queue = kc.http(f"{web_stack.origin}/v1/{event}/queue").json()["queue"]
    assert (queue["admissionsPerMinute"], queue["passLifetime"]) == (600, "120s")  # as the form set it
    assert re.fullmatch(r"[0-9a-f]{64}", result.pop("commitment"))
    assert result == {"joined": True, "admitted": True, "held": True}
