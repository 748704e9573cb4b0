"""An organizer's dashboard in the browser, live: it shows no sale, a customer buys through the API,
and the paid order and the net revenue appear without a reload."""

from __future__ import annotations

import asyncio
import os

import grpc
import pytest
from apextick_client import bench

from devstack.purchase import buy
from tests.browser.web_stack import WebStack, run_scenario
from tests.integration.test_keycloak_edge import Realm, realm

pytestmark = pytest.mark.browser
__all__ = ["realm"]


def test_a_sale_appears_on_the_organizer_s_dashboard(realm: Realm, web_stack: WebStack) -> None:
    organizer, customer = (realm.token(user)["access_token"] for user in ("organizer", "customer"))

    async def create() -> str:
        async with grpc.aio.insecure_channel(web_stack.booking) as channel:
            event, _ = await bench.create_event(channel, organizer, 4)
        return event

    event = asyncio.run(create())
    bought: dict[str, object] = {}

    def sell() -> None:
        bought.update(
            buy(web_stack.origin, customer, os.environ["APEXTICK_STRIPE_WEBHOOK_SECRET"], 2, event=event)
        )

    result = run_scenario("dashboard", {
        "APEXTICK_WEB": web_stack.origin, "APEXTICK_EVENT": event,
        "APEXTICK_USERS": f"demo-organizer:{realm.password}",
    }, on_ready=sell)  # fmt: skip
    assert result["paid"] == 1
    assert bought["order"]
