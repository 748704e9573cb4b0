"""A session that ends with seats chosen: an expired access token is renewed on the spot and the hold
made; a session gone entirely sends the customer to sign in and back with the seat still chosen. The
service then holds both seats for that customer."""

from __future__ import annotations

import pytest

from tests.browser.web_stack import WebStack, new_event, run_scenario
from tests.integration import keycloak_support as kc
from tests.integration.test_keycloak_edge import Realm, realm

pytestmark = pytest.mark.browser
__all__ = ["realm"]


def test_an_ended_session_renews_or_signs_in_again_keeping_the_seats(
    realm: Realm, web_stack: WebStack
) -> None:
    organizer = realm.token("organizer")["access_token"]

    event, seats = new_event(web_stack, organizer, 6)
    result = run_scenario("session", {
        "APEXTICK_WEB": web_stack.origin, "APEXTICK_EVENT": event, "APEXTICK_SEATS": f"{seats[0]},{seats[4]}",
        "APEXTICK_USERS": f"demo-customer:{realm.password}",
    })  # fmt: skip
    assert result == {"renewed": True, "resumed": True}
    statuses = {
        s["seatId"]: s["status"] for s in kc.http(f"{web_stack.origin}/v1/{event}/seats").json()["seats"]
    }
    assert statuses[seats[0]] == statuses[seats[4]] == "SEAT_STATUS_HELD"
