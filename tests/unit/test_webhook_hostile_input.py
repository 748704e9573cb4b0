"""What anyone may post to a webhook before it is authenticated: every kind of garbage is a 400 with a
webhook reason (WEBHOOK_SIGNATURE_INVALID or WEBHOOK_PAYLOAD_INVALID), never another exception (which
the call pipeline would answer as INTERNAL, with a traceback in the log)."""

from __future__ import annotations

import time

import pytest

from apextick_platform.errors import DomainError, ErrorCode
from booking.adapters.payments.onepay import parse_callback
from booking.adapters.payments.payhere import PayHereGateway, PayHereSettings
from booking.adapters.payments.stripe_events import parse_notice, sign
from booking.adapters.payments.stripe_gateway import StripeGateway, StripeSettings
from booking.adapters.payments.untrusted import ascii_int, json_object

WEBHOOK_REASONS = {ErrorCode.WEBHOOK_SIGNATURE_INVALID, ErrorCode.WEBHOOK_PAYLOAD_INVALID}
SECRET = "whsec_hostile_" + "b" * 24
DEEP = b"[" * 200_000 + b"]" * 200_000
BODIES = [
    b"",
    b"\xff\xfe\xfd",  # not UTF-8
    DEEP,
    b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    b'{"id": ' + b"9" * 100_000 + b"}",  # a number past Python's 4300-digit limit
    b'{"id": NaN, "type": Infinity}',
    b"[1, 2, 3]",
    b"null",
    b"x" * (128 * 1024),
    b'{"ok": true}' + b" " * (128 * 1024),  # an object, but longer than the edge ever forwards
]
# Well-formed JSON objects whose fields are not what any provider sends.
ODD_OBJECTS = [b'{"transaction_id": 5}', b'{"transaction_id": ["a"]}', b'{"id": {}, "type": 1}', b"{}"]
STRIPE_HEADERS = [
    "t=" + "9" * 100_000 + ",v1=abc",
    "t=99999999999999999999999,v1=abc",
    "t=\u0661\u0662\u0663,v1=abc",  # Arabic-Indic digits: int() would take them
    "t=-5,v1=abc",
    "t= 12 ,v1=abc",
    "t=1_000,v1=abc",
    "v1=" + "a" * 64,
    "t=1,v1=" + "a" * 100_000,
    ",,,,,,",
    "\x00",
]


async def webhook_reason(call: object) -> ErrorCode:
    with pytest.raises(DomainError) as refused:
        await call  # type: ignore[misc]
    return refused.value.code


def stripe() -> StripeGateway:
    return StripeGateway(StripeSettings(api_key="sk_test_hostile", webhook_secret=SECRET))


@pytest.mark.parametrize("value", STRIPE_HEADERS)
async def test_stripe_survives_any_signature_header(value: str) -> None:
    code = await webhook_reason(stripe().verify(b'{"id": "evt_1"}', {"stripe-signature": value}))
    assert code is ErrorCode.WEBHOOK_SIGNATURE_INVALID


@pytest.mark.parametrize("body", BODIES)
async def test_stripe_survives_any_signed_body(body: bytes) -> None:
    now = int(time.time())
    header = f"t={now},v1={sign(body, SECRET, now)}"
    assert await webhook_reason(stripe().verify(body, {"stripe-signature": header})) in WEBHOOK_REASONS


@pytest.mark.parametrize("body", BODIES + ODD_OBJECTS)
def test_the_stripe_event_parser_survives_any_body(body: bytes) -> None:
    with pytest.raises(DomainError) as refused:
        parse_notice(body)
    assert refused.value.code is ErrorCode.WEBHOOK_PAYLOAD_INVALID


PAYHERE = PayHereSettings(merchant_id="1211149", merchant_secret="hostile-secret", notify_url="https://x/n")
FORM_TAIL = b"&payhere_currency=LKR&md5sig=A"
FORMS = [
    *BODIES,
    b"merchant_id=1&order_id=2&payment_id=3&status_code=2&payhere_amount=1" + b"0" * 100_000 + FORM_TAIL,
    # an Arabic-Indic digit in the amount
    b"merchant_id=1&order_id=2&payment_id=3&status_code=2&payhere_amount=\xd9\xa1.00" + FORM_TAIL,
    b"merchant_id=1&order_id=2&payment_id=3&payhere_amount=1.00&status_code=" + b"9" * 10_000 + FORM_TAIL,
    b"merchant_id=1&order_id=2&payment_id=3&payhere_amount=1.00&status_code=2&md5sig=B" + FORM_TAIL,
    b"=&=&=",
]


@pytest.mark.parametrize("body", FORMS)
async def test_payhere_survives_any_form(body: bytes) -> None:
    assert await webhook_reason(PayHereGateway(PAYHERE).verify(body, {})) in WEBHOOK_REASONS


@pytest.mark.parametrize("body", BODIES + ODD_OBJECTS)
def test_the_onepay_callback_parser_survives_any_body(body: bytes) -> None:
    with pytest.raises(DomainError) as refused:
        parse_callback(body)
    assert refused.value.code is ErrorCode.WEBHOOK_PAYLOAD_INVALID


@pytest.mark.parametrize("text", ["", "-1", " 1", "1 ", "\u0661", "1_0", "9" * 19, "+1", "0x1"])
def test_ascii_int_takes_only_plain_bounded_integers(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the one error this reader raises
        ascii_int(text)


def test_the_json_reader_only_raises_value_errors() -> None:
    assert json_object(b'{"a": [1, {"b": 2}]}') == {"a": [1, {"b": 2}]}
    for body in BODIES:
        with pytest.raises(ValueError):  # noqa: PT011 - the one error this reader raises
            json_object(body)
