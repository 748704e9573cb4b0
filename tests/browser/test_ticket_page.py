"""A paid order in the browser: signed out, the order page says to sign in (never a blank page); after
Keycloak's login page it waits for the webhook-confirmed order and shows each ticket's QR code. The
QR codes are read back from the screenshots, as a gate's camera would, and equal the API's codes."""

from __future__ import annotations

import os

import pytest
import zxingcpp
from PIL import Image

from devstack.purchase import buy
from tests.browser.web_stack import WebStack, new_event, run_scenario
from tests.integration.test_keycloak_edge import Realm, realm

pytestmark = pytest.mark.browser
__all__ = ["realm"]


def test_a_paid_order_shows_its_tickets_qr_codes(realm: Realm, web_stack: WebStack) -> None:
    organizer, customer = (realm.token(user)["access_token"] for user in ("organizer", "customer"))

    event, _ = new_event(web_stack, organizer, 4)
    bought = buy(web_stack.origin, customer, os.environ["APEXTICK_STRIPE_WEBHOOK_SECRET"], 2, event=event)
    result = run_scenario("ticket", {
        "APEXTICK_WEB": web_stack.origin, "APEXTICK_ORDER": bought["order"]["name"],
        "APEXTICK_USERS": f"demo-customer:{realm.password}",
    })  # fmt: skip
    seen = sorted(
        r.text for shot in result["qr"] for r in zxingcpp.read_barcodes(Image.open(shot))
        if r.format == zxingcpp.BarcodeFormat.QRCode
    )  # fmt: skip
    assert seen == sorted(t["code"] for t in bought["tickets"])
