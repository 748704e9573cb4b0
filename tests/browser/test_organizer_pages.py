"""An organizer creates and publishes an event in the browser (a new venue, two tiers, two grid sections
drawn in the live preview) and watches a sale made through the API appear on its dashboard without a
reload; the event the service holds is exactly the one drawn: 64 seats, the balcony at the VIP price."""

from __future__ import annotations

import os
import secrets

import pytest

from devstack.purchase import buy
from tests.browser.web_stack import WebStack, run_scenario
from tests.integration import keycloak_support as kc
from tests.integration.test_keycloak_edge import Realm, realm

pytestmark = pytest.mark.browser
__all__ = ["realm"]


def test_an_organizer_creates_and_publishes_an_event_and_sees_a_sale(
    realm: Realm, web_stack: WebStack
) -> None:
    customer = realm.token("customer")["access_token"]
    title = f"Harbour Lights {secrets.token_hex(3)}"
    bought: dict[str, object] = {}

    def sell() -> None:
        [found] = kc.http(f"{web_stack.origin}/v1/events:search?query={title.replace(' ', '+')}").json()[
            "events"
        ]
        bought.update(
            buy(
                web_stack.origin,
                customer,
                os.environ["APEXTICK_STRIPE_WEBHOOK_SECRET"],
                2,
                event=found["name"],
            )
        )

    result = run_scenario("organizer", {
        "APEXTICK_WEB": web_stack.origin, "APEXTICK_TITLE": title,
        "APEXTICK_USERS": f"demo-organizer:{realm.password}",
    }, on_ready=sell)  # fmt: skip
    assert bought["order"]
    assert result["paid"] == 1
    assert result["attendees"] == result["csvRows"] == 2  # the two seats bought, on screen and in the CSV
    seat_map = kc.http(f"{web_stack.origin}/v1/{result['event']}/seats").json()
    tiers = {t["name"].rsplit("/", 1)[1]: int(t["priceMinor"]) for t in seat_map["priceTiers"]}
    assert tiers == {"standard": 450_000, "vip": 900_000}
    seats = seat_map["seats"]
    assert len(seats) == 64
    assert {s["priceTierId"] for s in seats if s["sectionId"] == "balcony"} == {"vip"}
