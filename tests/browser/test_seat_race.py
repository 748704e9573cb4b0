"""Two customers, two browsers (a desktop and a 375 px phone), one seat: exactly one holds it and sees
the countdown; the other is told why and sees the seat turn taken without a reload. Both signed in
through Keycloak's own login page, and the selection survived the sign-in."""

from __future__ import annotations

import secrets

import pytest

from tests.browser.web_stack import WebStack, new_event, run_scenario
from tests.integration import keycloak_support as kc
from tests.integration.test_keycloak_edge import Realm, realm

pytestmark = pytest.mark.browser
__all__ = ["realm"]


def test_two_browsers_race_for_one_seat(realm: Realm, web_stack: WebStack) -> None:
    organizer = realm.token("organizer")["access_token"]

    event, seats = new_event(web_stack, organizer, 8)
    title = kc.http(f"{web_stack.origin}/v1/{event}").json()["event"]["displayName"]
    admin = kc.admin_token(realm.url, *realm.admin)
    rival, password = f"t{secrets.token_hex(4)}-rival", secrets.token_hex(12)
    rival_id = kc.create_user(realm.url, admin, rival, password)
    try:
        result = run_scenario("race", {
            "APEXTICK_WEB": web_stack.origin, "APEXTICK_EVENT": event, "APEXTICK_SEAT": seats[3],
            "APEXTICK_TITLE": title,
            "APEXTICK_USERS": f"demo-customer:{realm.password},{rival}:{password}",
        })  # fmt: skip
    finally:
        kc.delete_user(realm.url, kc.admin_token(realm.url, *realm.admin), rival_id)
    assert sorted(result["outcomes"]) == ["held", "lost"]
