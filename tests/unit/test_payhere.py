"""PayHere: the checkout form and its hash, the md5sig notify check and exact amounts, with hashes computed
here with hashlib from PayHere's documented formulas; the Merchant API against a local HTTP stand-in."""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from apextick_platform.errors import DomainError, ErrorCode
from booking.adapters.payments import money
from booking.adapters.payments.payhere import PayHereGateway, PayHereSettings, split_name
from booking.domain.payment import NoticeKind, RemotePayment, RemoteState, SessionRequest

SETTINGS = PayHereSettings(
    merchant_id="1221149",
    merchant_secret="MzE0NjY4NTk0MTk0ODkzMjQ1",
    notify_url="https://apextick.example/v1/webhooks/payhere",
)
ORDER = uuid.UUID("6f1c2d3e-4b5a-4978-8a6b-1c2d3e4f5a6b")


def md5u(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest().upper()


def request(amount_minor: int = 100010, currency: str = "LKR", name: str = "Nimal Perera") -> SessionRequest:
    return SessionRequest(
        order_id=ORDER,
        reference="AT-1001",
        amount_minor=amount_minor,
        currency_code=currency,
        description="2 tickets, Nelum Pokuna",
        customer_email="nimal@example.lk",
        customer_name=name,
        expires_at=datetime(2030, 1, 1, 12, 0, tzinfo=UTC),
        success_url="https://apextick.example/ok",
        cancel_url="https://apextick.example/cancel",
    )


def notify(
    status: str = "2", amount: str = "1000.10", *, secret: str = SETTINGS.merchant_secret, **changes: str
) -> bytes:
    fields = {
        "merchant_id": "1221149",
        "order_id": str(ORDER),
        "payment_id": "320025157750",
        "captured_amount": amount,
        "payhere_amount": amount,
        "payhere_currency": "LKR",
        "status_code": status,
        "status_message": "Successfully received the VISA payment",
        "method": "VISA",
    }
    fields.update(changes)
    signed = (
        fields["merchant_id"]
        + fields["order_id"]
        + fields["payhere_amount"]
        + fields["payhere_currency"]
        + fields["status_code"]
        + md5u(secret)
    )
    fields.setdefault("md5sig", md5u(signed))
    return urlencode(fields).encode()


async def rejected(body: bytes, gateway: PayHereGateway | None = None) -> ErrorCode:
    with pytest.raises(DomainError) as caught:
        await (gateway or PayHereGateway(SETTINGS)).verify(body, {})
    return caught.value.code


# ------------------------------------------------------------------------------------------ checkout


async def test_the_checkout_form_is_signed_as_payhere_documents() -> None:
    session = await PayHereGateway(SETTINGS).open_session(request())
    fields = session.form_fields
    expected = md5u(f"1221149{ORDER}1000.10LKR{md5u(SETTINGS.merchant_secret)}")
    assert fields["hash"] == expected
    assert (fields["amount"], fields["currency"], fields["order_id"]) == ("1000.10", "LKR", str(ORDER))
    assert (fields["first_name"], fields["last_name"], fields["email"]) == (
        "Nimal",
        "Perera",
        "nimal@example.lk",
    )
    assert fields["notify_url"] == SETTINGS.notify_url
    assert (fields["return_url"], fields["cancel_url"]) == (
        "https://apextick.example/ok",
        request().cancel_url,
    )
    assert session.redirect_url == "https://sandbox.payhere.lk/pay/checkout"
    assert session.session_id == str(ORDER)
    assert SETTINGS.merchant_secret not in fields.values()


@pytest.mark.parametrize(("minor", "text"), [(100, "1.00"), (5, "0.05"), (123456789, "1234567.89")])
async def test_amounts_are_formatted_with_two_decimals(minor: int, text: str) -> None:
    assert (await PayHereGateway(SETTINGS).open_session(request(minor))).form_fields["amount"] == text


@pytest.mark.parametrize(
    ("name", "email", "expected"),
    [
        ("Nimal Perera", "", ("Nimal", "Perera")),
        ("  Ada  King Lovelace ", "", ("Ada King", "Lovelace")),
        ("Madonna", "", ("Madonna", "Madonna")),
        ("", "kamal@example.lk", ("kamal", "kamal")),
        ("", "", ("Customer", "Customer")),
    ],
)
def test_names_split_sensibly(name: str, email: str, expected: tuple[str, str]) -> None:
    assert split_name(name, email) == expected


def test_only_lkr_and_usd_are_supported() -> None:
    gateway = PayHereGateway(SETTINGS)
    assert [gateway.supports(c) for c in ("LKR", "usd", "EUR", "JPY")] == [True, True, False, False]


def test_settings_never_print_secrets() -> None:
    assert SETTINGS.merchant_secret not in repr(SETTINGS)


# ------------------------------------------------------------------------------------------ notify


async def test_a_genuine_success_is_paid_with_the_exact_amount() -> None:
    notice = await PayHereGateway(SETTINGS).verify(notify(), {})
    assert notice.kind is NoticeKind.PAID
    assert (notice.amount_minor, notice.currency_code) == (100010, "LKR")
    # payment_id is outside the md5sig: it names neither the notice nor the payment to refund.
    assert (notice.order_id, notice.session_id, notice.payment_ref) == (ORDER, str(ORDER), "")
    assert notice.event_id == f"{ORDER}:2"


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        ("2", NoticeKind.PAID),
        ("-3", NoticeKind.REFUNDED),
        ("-1", NoticeKind.INFORMATIONAL),
        ("-2", NoticeKind.INFORMATIONAL),
        ("0", NoticeKind.INFORMATIONAL),
    ],
)
async def test_every_status_code_maps(status: str, kind: NoticeKind) -> None:
    notice = await PayHereGateway(SETTINGS).verify(notify(status), {})
    assert (notice.kind, notice.event_id) == (kind, f"{ORDER}:{status}")


async def test_a_tampered_amount_is_rejected() -> None:
    body = notify().replace(b"payhere_amount=1000.10", b"payhere_amount=1.00")
    assert await rejected(body) is ErrorCode.WEBHOOK_SIGNATURE_INVALID


async def test_a_tampered_status_is_rejected() -> None:
    body = notify("-2").replace(b"status_code=-2", b"status_code=2")
    assert await rejected(body) is ErrorCode.WEBHOOK_SIGNATURE_INVALID


async def test_a_wrong_secret_is_rejected() -> None:
    assert await rejected(notify(secret="guessed")) is ErrorCode.WEBHOOK_SIGNATURE_INVALID


async def test_another_merchants_notice_is_rejected_even_when_its_hash_is_right() -> None:
    assert await rejected(notify(merchant_id="1000001")) is ErrorCode.WEBHOOK_SIGNATURE_INVALID


async def test_a_lower_case_md5sig_is_the_same_signature() -> None:
    body = notify()
    fields = dict(pair.split("=", 1) for pair in body.decode().split("&"))
    lowered = body.replace(fields["md5sig"].encode(), fields["md5sig"].lower().encode())
    assert (await PayHereGateway(SETTINGS).verify(lowered, {})).kind is NoticeKind.PAID


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\xff\xfe",
        b"merchant_id",
        b"a=1&&b=2",
        notify().replace(b"&md5sig=", b"&ignored="),
        notify().replace(b"payment_id=", b"payment_idx="),
        notify() + b"&payhere_amount=1.00",
    ],
)
async def test_malformed_forms_are_rejected(body: bytes) -> None:
    assert await rejected(body) is ErrorCode.WEBHOOK_PAYLOAD_INVALID


@pytest.mark.parametrize("amount", ["1000.105", "1,000.10", "-1000.10", "1e3", "NaN", "1000.1O"])
async def test_inexact_or_odd_amounts_are_rejected(amount: str) -> None:
    assert await rejected(notify(amount=amount)) is ErrorCode.WEBHOOK_PAYLOAD_INVALID


@pytest.mark.parametrize(
    ("text", "minor"), [("1000.10", 100010), ("1000.1", 100010), ("0.01", 1), ("4500", 450000)]
)
def test_amount_parsing_is_exact(text: str, minor: int) -> None:
    assert money.parse_major(text, "LKR") == minor


async def test_a_short_amount_verifies_against_its_two_decimal_form() -> None:
    """PayHere's own sample formats the amount with two decimals before hashing."""
    body = notify(amount="1000.1", md5sig=md5u(f"1221149{ORDER}1000.10LKR2{md5u(SETTINGS.merchant_secret)}"))
    assert (await PayHereGateway(SETTINGS).verify(body, {})).amount_minor == 100010


# ------------------------------------------------------------------------------------------ merchant API


async def test_refund_and_lookup_need_the_merchant_api_credentials() -> None:
    gateway = PayHereGateway(SETTINGS)
    with pytest.raises(DomainError) as caught:
        await gateway.refund(ORDER, "320025157750", 100010, "LKR")
    assert caught.value.code is ErrorCode.PROVIDER_NOT_SUPPORTED


class FakePayHere:
    """PayHere's Merchant API as documented, for what the adapter sends and how it reads the answers."""

    def __init__(self) -> None:
        self.payments: list[dict[str, Any]] = []
        self.token_calls = 0
        self.refunds: list[dict[str, Any]] = []

    async def token(self, request: web.Request) -> web.Response:
        expected = base64.b64encode(b"app-1:app-secret").decode()
        form = await request.post()
        if request.headers.get("Authorization") != f"Basic {expected}" or form.get("grant_type") != (
            "client_credentials"
        ):
            return web.json_response({"error": "invalid_client"}, status=401)
        self.token_calls += 1
        return web.json_response({"access_token": "tok-1", "token_type": "bearer", "expires_in": 599})

    def _authorised(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == "Bearer tok-1"

    async def refund(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"error": "invalid_token"}, status=401)
        self.refunds.append(await request.json())
        return web.json_response(
            {"status": 1, "msg": "Successfully processed the refund", "data": 560034010257}
        )

    async def search(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"error": "invalid_token"}, status=401)
        mine = [p for p in self.payments if p["order_id"] == request.query.get("order_id")]
        if not mine:
            return web.json_response({"status": -1, "msg": "No payments found", "data": None})
        # The amount goes out as a JSON number, as in PayHere's example; the adapter reads it as a Decimal.
        data = [{**p, "currency": "LKR", "amount": float(p["amount"])} for p in mine]
        return web.json_response({"status": 1, "msg": "ok", "data": data})


@pytest.fixture
async def payhere_api() -> AsyncIterator[tuple[FakePayHere, PayHereGateway]]:
    fake = FakePayHere()
    app = web.Application()
    app.router.add_post("/merchant/v1/oauth/token", fake.token)
    app.router.add_post("/merchant/v1/payment/refund", fake.refund)
    app.router.add_get("/merchant/v1/payment/search", fake.search)
    async with TestServer(app, host="127.0.0.1") as server:
        base = str(server.make_url("")).rstrip("/")
        settings = replace(SETTINGS, api_base=base, app_id="app-1", app_secret="app-secret")
        gateway = PayHereGateway(settings)
        yield fake, gateway
        await gateway.close()


async def test_a_refund_goes_through_oauth_once(payhere_api: tuple[FakePayHere, PayHereGateway]) -> None:
    fake, gateway = payhere_api
    assert await gateway.lookup(ORDER, str(ORDER)) == RemotePayment(state=RemoteState.OPEN)
    with pytest.raises(DomainError) as nothing_received:
        await gateway.refund(ORDER, "320025157750", 100010, "LKR")
    assert nothing_received.value.code is ErrorCode.PROVIDER_UNAVAILABLE  # retried by the reconciler
    fake.payments.append(
        {"payment_id": 320025071278, "order_id": str(ORDER), "status": "RECEIVED", "amount": "1000.10"}
    )
    # Whatever payment id the caller was told (a notify's payment_id is unsigned), PayHere's own record of
    # the order's payment is what gets refunded.
    assert await gateway.refund(ORDER, "320025157750", 100010, "LKR") == "560034010257"
    assert fake.token_calls == 1  # the token is cached until shortly before it expires
    assert fake.refunds == [{"payment_id": "320025071278", "description": f"ApexTick order {ORDER}"}]


async def test_lookup_maps_payhere_statuses(payhere_api: tuple[FakePayHere, PayHereGateway]) -> None:
    fake, gateway = payhere_api
    fake.payments.append(
        {"payment_id": 320025071278, "order_id": str(ORDER), "status": "RECEIVED", "amount": "1000.10"}
    )
    found = await gateway.lookup(ORDER, str(ORDER))
    assert (found.state, found.payment_ref, found.amount_minor, found.currency_code) == (
        RemoteState.PAID,
        "320025071278",
        100010,
        "LKR",
    )
    fake.payments[0]["status"] = "REFUNDED"
    assert (await gateway.lookup(ORDER, str(ORDER))).state is RemoteState.CLOSED
