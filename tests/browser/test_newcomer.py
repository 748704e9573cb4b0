"""A newcomer buys a ticket with nothing but the browser: sign-up on Keycloak's page, the verification
email through the local mail catcher, two seats held, the test payment page paying with a signed
webhook, the return page waiting for the confirmed order and showing its QR codes (read back from the
screenshots and equal to the API's codes); then a password reset through its emailed link, and the
order found again under My orders."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from devstack import mail_catcher
from tests.browser.web_stack import WebStack, new_event, run_scenario
from tests.e2e.edge_support import free_port
from tests.integration import keycloak_support as kc
from tests.integration.test_keycloak_edge import Realm, realm

pytestmark = pytest.mark.browser
__all__ = ["realm"]


@pytest.fixture
def mail_listing(tmp_path: Path) -> Iterator[str]:
    """A mail catcher on the SMTP port the realm sends to, with its HTTP listing on a free port."""
    port = free_port()
    with mail_catcher.serve(tmp_path, "127.0.0.1", int(os.environ.get("APEXTICK_SMTP_PORT", "1025")), port):
        yield f"http://127.0.0.1:{port}"


def test_a_newcomer_signs_up_verifies_buys_and_resets_the_password(
    realm: Realm, web_stack: WebStack, mail_listing: str
) -> None:
    organizer = realm.token("organizer")["access_token"]

    event, seats = new_event(web_stack, organizer, 6)
    newcomer = f"t{secrets.token_hex(4)}-new"
    try:
        result = run_scenario("newcomer", {
            "APEXTICK_WEB": web_stack.origin, "APEXTICK_EVENT": event, "APEXTICK_SEATS": ",".join(seats[1:3]),
            "APEXTICK_MAIL": mail_listing, "APEXTICK_NEWCOMER": newcomer,
        })  # fmt: skip
        token = kc.password_grant(realm.url, newcomer, result["password"])["access_token"]
        claims = kc.jwt_claims(token)
        assert claims["email_verified"] is True
        [order] = kc.http(f"{web_stack.origin}/v1/orders", bearer=token).json()["orders"]
        assert (order["reference"], order["state"]) == (result["reference"], "ORDER_STATE_PAID")
        tickets = kc.http(f"{web_stack.origin}/v1/tickets?order={order['name']}", bearer=token).json()[
            "tickets"
        ]
    finally:
        _delete(realm, newcomer)
    assert sorted(t["seatId"] for t in tickets) == sorted(seats[1:3])
    seen = sorted(
        r.text for shot in result["qr"] for r in zxingcpp.read_barcodes(Image.open(shot))
        if r.format == zxingcpp.BarcodeFormat.QRCode
    )  # fmt: skip
    assert seen == sorted(t["code"] for t in tickets)


def _delete(realm: Realm, username: str) -> None:
    admin = kc.admin_token(realm.url, *realm.admin)
    for user in kc.admin_call(realm.url, admin, "GET", f"/users?username={username}&exact=true").json():
        kc.delete_user(realm.url, admin, user["id"])
