"""The dev stack's test payment page and the booking side that sends buyers to it: every link the Stripe
adapter builds is one the page can take, a broken or hostile link is refused, and the real Stripe never
gets the page."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

import pytest

from apextick_platform.settings import SettingsError
from booking.adapters.payments.stripe_gateway import StripeSettings, checkout_page_redirect
from booking.domain.payment import SessionRequest
from devstack.test_checkout import Payment

REQUEST = SessionRequest(
    order_id=uuid.uuid4(), reference="AT-ABC123", amount_minor=125_050, currency_code="LKR",
    description="2 seats", customer_email="", customer_name="", expires_at=datetime.now(UTC),
    success_url="http://localhost:8080/orders/return?x=1&y=2", cancel_url="http://localhost:8080/events/e",
)  # fmt: skip


def _query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def test_every_link_the_adapter_builds_is_one_the_page_takes() -> None:
    url = checkout_page_redirect("http://localhost:12114/pay", REQUEST, "cs_test_1")
    assert url.startswith("http://localhost:12114/pay?")
    payment = Payment.parse(_query(url))
    assert payment == Payment(
        "cs_test_1",
        str(REQUEST.order_id),
        "AT-ABC123",
        125_050,
        "LKR",
        REQUEST.success_url,
        REQUEST.cancel_url,
    )


@pytest.mark.parametrize(
    "change",
    [
        {"amount": "12.5"}, {"amount": "-1"}, {"amount": ""}, {"session": ""}, {"order": ""},
        {"success": "javascript:alert(1)"}, {"cancel": "data:text/html,hi"}, {"success": ""},
    ],
)  # fmt: skip
def test_a_broken_or_hostile_link_is_refused(change: dict[str, str]) -> None:
    values = {**_query(checkout_page_redirect("http://x/pay", REQUEST, "cs_1")), **change}
    assert Payment.parse(values) is None


def test_without_a_cancel_url_cancelling_returns_to_the_success_page() -> None:
    values = {**_query(checkout_page_redirect("http://x/pay", REQUEST, "cs_1")), "cancel": ""}
    payment = Payment.parse(values)
    assert payment is not None
    assert payment.cancel == REQUEST.success_url


def test_the_real_stripe_never_gets_the_test_page() -> None:
    with pytest.raises(SettingsError, match="APEXTICK_STRIPE_TEST_CHECKOUT_URL"):
        StripeSettings(
            api_key="sk_live_x", webhook_secret="whsec_x", test_checkout_url="http://localhost:12114/pay"
        )
    mock = StripeSettings(
        "sk_test_x", "whsec_x", api_base="http://127.0.0.1:12111", test_checkout_url="http://p/pay"
    )
    assert mock.test_checkout_url == "http://p/pay"
