"""The Stripe adapter against a real stripe-mock process (the version scripts/install.sh pins): a Checkout
Session is opened, expired, looked up and refunded, and every mutating call carries the idempotency key that
derives from the order (stripe-mock echoes the Idempotency-Key header it received)."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import stripe

from booking.adapters.payments.stripe_gateway import (
    SESSION_MIN_LIFETIME,
    StripeGateway,
    StripeSettings,
)
from booking.domain.payment import Provider, RemoteState, SessionRequest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECONDS = 20.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stripe_mock_binary() -> Path:
    binary = Path(os.environ.get("APEXTICK_BIN", str(ROOT / "var" / "bin"))) / "stripe-mock"
    if not os.access(binary, os.X_OK):
        pytest.fail(f"stripe-mock not found at {binary}: run `scripts/install.sh go` (or set APEXTICK_BIN)")
    return binary


def _wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"stripe-mock exited with {process.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    pytest.fail("stripe-mock did not listen in time")


@pytest.fixture(scope="session")
def stripe_mock() -> Iterator[str]:
    http_port, https_port = _free_port(), _free_port()
    process = subprocess.Popen(  # noqa: S603 - a fixed argv of our pinned binary, no shell
        [str(_stripe_mock_binary()), "-http-port", str(http_port), "-https-port", str(https_port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(http_port, process)
        yield f"http://127.0.0.1:{http_port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


class RecordingClient(stripe.AIOHTTPClient):
    """Stripe's own aiohttp client, keeping the headers of each request and of each answer."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[str, str, Mapping[str, str]]] = []
        self.echoed: list[Mapping[str, str]] = []

    async def request_async(
        self, method: str, url: str, headers: Mapping[str, str], post_data: Any = None
    ) -> tuple[bytes, int, Mapping[str, str]]:
        self.sent.append((method, url, dict(headers)))
        content, status, answer_headers = await super().request_async(method, url, headers, post_data)
        self.echoed.append(dict(answer_headers))
        return content, status, answer_headers


@pytest.fixture
async def gateway(stripe_mock: str) -> AsyncIterator[tuple[StripeGateway, RecordingClient]]:
    recorder = RecordingClient()
    settings = StripeSettings(api_key="sk_test_apextick", webhook_secret="whsec_test", api_base=stripe_mock)
    gateway = StripeGateway(settings, http_client=recorder)
    yield gateway, recorder
    await gateway.close()


def request(order_id: uuid.UUID) -> SessionRequest:
    return SessionRequest(
        order_id=order_id,
        reference="AT-3001",
        amount_minor=250000,
        currency_code="LKR",
        description="2 tickets",
        customer_email="sunil@example.lk",
        customer_name="Sunil Fernando",
        expires_at=datetime.now(UTC) + timedelta(minutes=10),
        success_url="https://apextick.example/ok",
        cancel_url="https://apextick.example/cancel",
    )


def _form(post_url: str, recorder: RecordingClient) -> Mapping[str, str]:
    return next(
        headers for method, url, headers in recorder.sent if method == "post" and url.endswith(post_url)
    )


async def test_open_session_creates_a_checkout_session_keyed_by_the_order(
    gateway: tuple[StripeGateway, RecordingClient],
) -> None:
    stripe_gateway, recorder = gateway
    order_id = uuid.uuid4()
    wanted = request(order_id)
    session = await stripe_gateway.open_session(wanted)
    assert session.provider is Provider.STRIPE
    assert session.session_id.startswith("cs_")
    assert session.redirect_url.startswith("https://")
    sent = _form("/v1/checkout/sessions", recorder)
    assert sent["Idempotency-Key"] == f"checkout:{order_id}"
    assert recorder.echoed[-1]["Idempotency-Key"] == f"checkout:{order_id}"
    assert "sk_test_apextick" in sent["Authorization"]  # reached stripe-mock with our key, as a bearer
    # stripe-mock reflects expires_at: the hold's end plus Stripe's minimum lifetime.
    assert session.expires_at == (wanted.expires_at + SESSION_MIN_LIFETIME).replace(microsecond=0)


async def test_close_session_expires_it(gateway: tuple[StripeGateway, RecordingClient]) -> None:
    stripe_gateway, recorder = gateway
    order_id = uuid.uuid4()
    await stripe_gateway.close_session(order_id, "cs_test_apextick")
    method, url, headers = recorder.sent[-1]
    assert (method, url.rsplit("/v1", 1)[1]) == ("post", "/checkout/sessions/cs_test_apextick/expire")
    assert headers["Idempotency-Key"] == f"expire:{order_id}"


async def test_refund_refunds_the_payment_intent_once_per_order(
    gateway: tuple[StripeGateway, RecordingClient],
) -> None:
    stripe_gateway, recorder = gateway
    order_id = uuid.uuid4()
    refund_id = await stripe_gateway.refund(order_id, "pi_apextick", 250000, "LKR")
    assert refund_id.startswith("re_")
    assert _form("/v1/refunds", recorder)["Idempotency-Key"] == f"refund:{order_id}"
    assert recorder.echoed[-1]["Idempotency-Key"] == f"refund:{order_id}"


async def test_lookup_reads_the_session(gateway: tuple[StripeGateway, RecordingClient]) -> None:
    stripe_gateway, _ = gateway
    remote = await stripe_gateway.lookup(uuid.uuid4(), "cs_test_apextick")
    assert remote.state is RemoteState.OPEN  # stripe-mock's fixture session is open and unpaid
