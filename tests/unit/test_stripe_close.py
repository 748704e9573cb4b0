"""Stripe answers stripe-mock cannot give (it keeps no state): expiring a session that already ended is fine,
and a Stripe that cannot be reached is PROVIDER_UNAVAILABLE. A scripted stripe.HTTPClient stands in for
Stripe's HTTP answers; the request building and error handling are the real stripe library's."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

import pytest
import stripe

from apextick_platform.errors import DomainError, ErrorCode
from booking.adapters.payments.stripe_gateway import StripeGateway, StripeSettings

SETTINGS = StripeSettings(
    api_key="sk_test_unit", webhook_secret="whsec_unit", api_base="http://stripe.invalid"
)


class ScriptedStripe(stripe.HTTPClient):
    name = "scripted"

    def __init__(self, answers: list[tuple[int, dict[str, Any]]]) -> None:
        super().__init__()
        self.answers = answers
        self.paths: list[str] = []

    async def request_async(
        self, method: str, url: str, headers: Mapping[str, str], post_data: Any = None
    ) -> tuple[bytes, int, Mapping[str, str]]:
        self.paths.append(f"{method} {url.split('http://stripe.invalid', 1)[1]}")
        status, body = self.answers.pop(0)
        return json.dumps(body).encode(), status, {}

    async def close_async(self) -> None:
        return None


def session(status: str) -> dict[str, Any]:
    return {"id": "cs_1", "object": "checkout.session", "status": status, "payment_status": "unpaid"}


NOT_OPEN = {"error": {"type": "invalid_request_error", "message": "This Checkout Session is not open."}}


@pytest.mark.parametrize("status", ["expired", "complete"])
async def test_closing_a_session_that_already_ended_is_fine(status: str) -> None:
    scripted = ScriptedStripe([(400, NOT_OPEN), (200, session(status))])
    await StripeGateway(SETTINGS, http_client=scripted).close_session(uuid.uuid4(), "cs_1")
    assert scripted.paths == ["post /v1/checkout/sessions/cs_1/expire", "get /v1/checkout/sessions/cs_1"]


async def test_a_refused_expiry_of_a_session_still_open_is_an_error() -> None:
    scripted = ScriptedStripe([(400, NOT_OPEN), (200, session("open"))])
    with pytest.raises(DomainError) as caught:
        await StripeGateway(SETTINGS, http_client=scripted).close_session(uuid.uuid4(), "cs_1")
    assert caught.value.code is ErrorCode.PROVIDER_UNAVAILABLE


async def test_an_unreachable_stripe_is_provider_unavailable() -> None:
    unreachable = StripeSettings(api_key="sk_test_unit", webhook_secret="w", api_base="http://127.0.0.1:9")
    gateway = StripeGateway(unreachable)
    try:
        with pytest.raises(DomainError) as caught:
            await gateway.refund(uuid.uuid4(), "pi_1", 100, "LKR")
    finally:
        await gateway.close()
    assert caught.value.code is ErrorCode.PROVIDER_UNAVAILABLE
    assert caught.value.metadata["stripe_error"] == "APIConnectionError"
    assert "sk_test_unit" not in caught.value.message
