"""The live seat map through a network drop: the browser offline and its open stream's TCP connection
cut (`ss -K`, a real fault: Chromium's offline emulation alone leaves an open stream alone). A banner
shows while the stream is down, and after it the seat held meanwhile shows taken without a reload (the
reopened stream's snapshot), and cannot be selected."""

from __future__ import annotations

import subprocess
import uuid

import pytest

from tests.browser.web_stack import WebStack, new_event, run_scenario
from tests.integration import keycloak_support as kc
from tests.integration.test_keycloak_edge import Realm, realm

pytestmark = pytest.mark.browser
__all__ = ["realm"]


def test_a_network_drop_shows_a_banner_and_the_map_resyncs(realm: Realm, web_stack: WebStack) -> None:
    event, seats = new_event(web_stack, realm.token("organizer")["access_token"], 6)
    customer = realm.token("customer")["access_token"]
    held: list[int] = []

    def cut_and_hold() -> None:
        port = web_stack.edge.settings.rest_port
        cut = [
            "ss",
            "-K",
            "dst",
            "127.0.0.1",
            "dport",
            "=",
            str(port),
        ]  # the browser's side of its connections
        subprocess.run(cut, check=True, capture_output=True, timeout=10)  # noqa: S603 - fixed arguments
        body = {"seatIds": [seats[2]], "requestId": str(uuid.uuid4())}
        held.append(kc.http(f"{web_stack.origin}/v1/{event}/holds", json_body=body, bearer=customer).status)

    result = run_scenario("livemap", {
        "APEXTICK_WEB": web_stack.origin, "APEXTICK_EVENT": event, "APEXTICK_SEAT": seats[2],
    }, on_ready=cut_and_hold)  # fmt: skip
    assert held == [200]
    assert result == {"resynced": True}
