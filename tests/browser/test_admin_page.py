"""The admin desk in the browser: a user found and made an organizer (their next token carries the
role), the grant in the audit log, a paid order found by reference and refunded (the service holds it
refunded)."""

from __future__ import annotations

import os
import secrets

import pytest

from devstack.purchase import buy
from tests.browser.web_stack import WebStack, new_event, run_scenario
from tests.integration import keycloak_support as kc
from tests.integration.test_keycloak_edge import Realm, realm

pytestmark = pytest.mark.browser
__all__ = ["realm"]


def test_an_admin_grants_a_role_and_refunds_an_order(realm: Realm, web_stack: WebStack) -> None:
    organizer, customer = (realm.token(u)["access_token"] for u in ("organizer", "customer"))

    event, _ = new_event(web_stack, organizer, 4)
    order = buy(web_stack.origin, customer, os.environ["APEXTICK_STRIPE_WEBHOOK_SECRET"], 1, event=event)[
        "order"
    ]
    admin = kc.admin_token(realm.url, *realm.admin)
    username, password = f"t{secrets.token_hex(4)}-promoted", secrets.token_hex(12)
    user_id = kc.create_user(realm.url, admin, username, password)
    try:
        run_scenario("admin", {
            "APEXTICK_WEB": web_stack.origin, "APEXTICK_TARGET_USER": username,
            "APEXTICK_REFERENCE": order["reference"], "APEXTICK_USERS": f"demo-admin:{realm.password}",
        })  # fmt: skip
        claims = kc.jwt_claims(kc.password_grant(realm.url, username, password)["access_token"])
        assert "organizer" in claims["realm_access"]["roles"]
    finally:
        kc.delete_user(realm.url, kc.admin_token(realm.url, *realm.admin), user_id)
    after = kc.http(f"{web_stack.origin}/v1/{order['name']}", bearer=customer).json()["order"]
    assert after["state"] == "ORDER_STATE_REFUNDED"
