"""The payment gateway port's contract, run against the unit tests' fake and the Stripe adapter on
stripe-mock: sessions per order with a payable link, idempotent closes and refunds, lookups that answer
a known state. (Verifying a webhook is each provider's own wire format, tested with its adapter.)"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from booking.adapters.payments.stripe_gateway import StripeGateway, StripeSettings
from booking.domain.payment import Provider, RemoteState, SessionRequest
from booking.service_layer.payment_ports import PaymentGateway
from tests.e2e.payment_support import running_stripe_mock
from tests.fakes.world import FakeGateway

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stripe_mock() -> Iterator[str]:
    with running_stripe_mock() as url:
        yield url


@pytest.fixture(params=["fake", "stripe"])
async def gateway(request: pytest.FixtureRequest, stripe_mock: str) -> AsyncIterator[PaymentGateway]:
    if request.param == "fake":
        yield FakeGateway()
        return
    stripe = StripeGateway(
        StripeSettings(api_key="sk_test_conformance", webhook_secret="whsec_x", api_base=stripe_mock)
    )
    yield stripe
    await stripe.close()


def session_request(order_id: uuid.UUID) -> SessionRequest:
    expires = datetime.now(UTC) + timedelta(minutes=15)
    return SessionRequest(
        order_id, "AT-CONFORM", 250_000, "LKR", "2 seats", "b@example.test", "Buyer", expires,
        "https://app.test/ok", "https://app.test/no",
    )  # fmt: skip


async def test_a_gateway_opens_a_payable_session_and_settles_idempotently(gateway: PaymentGateway) -> None:
    assert gateway.provider is Provider.STRIPE
    assert gateway.supports("LKR")
    assert not gateway.supports("L1")
    order_id = uuid.uuid4()
    request = session_request(order_id)
    session = await gateway.open_session(request)
    assert session.provider is gateway.provider
    assert session.session_id
    assert session.redirect_url.startswith("http")
    assert session.expires_at >= request.expires_at
    remote = await gateway.lookup(order_id, session.session_id)
    assert remote.state in set(RemoteState)
    await gateway.close_session(order_id, session.session_id)
    await gateway.close_session(order_id, session.session_id)  # closing a closed session is fine
    first = await gateway.refund(order_id, "pi_conformance", 250_000, "LKR")
    assert first
