"""The Onepay adapter against the Onepay sandbox stand-in (devstack/onepay_sandbox.py) over real HTTP: a
transaction is created with a valid hash, a callback is believed only through the status API, and refund
and lookup follow the transaction."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from apextick_platform.errors import DomainError, ErrorCode
from booking.adapters.payments.onepay import OnepayGateway, OnepaySettings
from booking.domain.payment import NoticeKind, Provider, RemoteState, SessionRequest
from devstack.onepay_sandbox import SandboxCredentials, create_app

pytestmark = pytest.mark.integration

CREDENTIALS = SandboxCredentials(
    app_id="APEXTICKTEST", app_token="test-token-" + "b" * 16, hash_salt="salt-c1"
)


@dataclass(frozen=True)
class Sandbox:
    base: str
    gateway: OnepayGateway
    http: aiohttp.ClientSession

    async def pay(self, transaction_id: str) -> bytes:
        """The customer pays; returns the callback body Onepay would post."""
        async with self.http.post(f"{self.base}/_sandbox/transactions/{transaction_id}/pay") as response:
            assert response.status == 200
            return await response.read()


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with TestServer(create_app(CREDENTIALS), host="127.0.0.1") as server:
        base = str(server.make_url("")).rstrip("/")
        settings = OnepaySettings(
            app_id=CREDENTIALS.app_id,
            app_token=CREDENTIALS.app_token,
            hash_salt=CREDENTIALS.hash_salt,
            api_base=base,
        )
        async with aiohttp.ClientSession() as http:
            gateway = OnepayGateway(settings, session=http)
            yield Sandbox(base, gateway, http)
            await gateway.close()


def request(order_id: uuid.UUID, amount_minor: int = 250050) -> SessionRequest:
    return SessionRequest(
        order_id=order_id,
        reference="AT-2001",
        amount_minor=amount_minor,
        currency_code="LKR",
        description="1 ticket",
        customer_email="kamala@example.lk",
        customer_name="Kamala Silva",
        expires_at=datetime.now(UTC) + timedelta(minutes=10),
        success_url="https://apextick.example/ok",
        cancel_url="https://apextick.example/cancel",
    )


def forged_callback(transaction_id: str, order_id: uuid.UUID) -> bytes:
    return json.dumps(
        {
            "transaction_id": transaction_id,
            "status": 1,
            "status_message": "SUCCESS",
            "additional_data": str(order_id),
        }
    ).encode()


async def test_a_session_is_a_created_transaction_with_a_redirect(sandbox: Sandbox) -> None:
    session = await sandbox.gateway.open_session(request(uuid.uuid4()))
    assert session.provider is Provider.ONEPAY
    assert len(session.session_id) == 21
    assert session.redirect_url.startswith(sandbox.base + "/_sandbox/pay/")


async def test_a_forged_success_callback_for_an_unpaid_transaction_is_not_paid(sandbox: Sandbox) -> None:
    order_id = uuid.uuid4()
    session = await sandbox.gateway.open_session(request(order_id))
    notice = await sandbox.gateway.verify(forged_callback(session.session_id, order_id), {})
    assert notice.kind is NoticeKind.INFORMATIONAL
    assert (notice.amount_minor, notice.payment_ref) == (None, "")
    assert notice.event_id == f"{session.session_id}:UNPAID"
    assert (await sandbox.gateway.lookup(order_id, session.session_id)).state is RemoteState.OPEN


async def test_a_callback_for_an_unknown_transaction_is_not_believed(sandbox: Sandbox) -> None:
    with pytest.raises(DomainError) as caught:
        await sandbox.gateway.verify(forged_callback("NOSUCHTRANSACTION0001", uuid.uuid4()), {})
    assert caught.value.code is ErrorCode.PROVIDER_UNAVAILABLE


async def test_a_paid_transaction_is_paid_with_onepays_amount(sandbox: Sandbox) -> None:
    order_id = uuid.uuid4()
    session = await sandbox.gateway.open_session(request(order_id, amount_minor=100010))
    callback = await sandbox.pay(session.session_id)
    notice = await sandbox.gateway.verify(callback, {})
    assert notice.kind is NoticeKind.PAID
    assert (notice.order_id, notice.session_id, notice.payment_ref) == (
        order_id,
        session.session_id,
        session.session_id,
    )
    assert (notice.amount_minor, notice.currency_code) == (100010, "LKR")
    assert notice.event_id == f"{session.session_id}:PAID"
    remote = await sandbox.gateway.lookup(order_id, session.session_id)
    assert (remote.state, remote.amount_minor) == (RemoteState.PAID, 100010)


async def test_a_paid_transaction_is_refunded_once(sandbox: Sandbox) -> None:
    order_id = uuid.uuid4()
    session = await sandbox.gateway.open_session(request(order_id))
    await sandbox.pay(session.session_id)
    first = await sandbox.gateway.refund(order_id, session.session_id, 250050, "LKR")
    again = await sandbox.gateway.refund(order_id, session.session_id, 250050, "LKR")
    assert first.isdigit()
    assert again == f"{session.session_id}:refund"  # Onepay's "already requested": the one refund stands


async def test_wrong_credentials_are_provider_errors(sandbox: Sandbox) -> None:
    settings = OnepaySettings(
        app_id=CREDENTIALS.app_id, app_token="wrong", hash_salt="x", api_base=sandbox.base
    )
    gateway = OnepayGateway(settings, session=sandbox.http)
    with pytest.raises(DomainError) as caught:
        await gateway.open_session(request(uuid.uuid4()))
    assert caught.value.code is ErrorCode.PROVIDER_UNAVAILABLE
    assert "wrong" not in caught.value.message
