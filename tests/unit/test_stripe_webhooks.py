"""Stripe webhook verification and event mapping, with signatures computed here independently (hmac and
hashlib, Stripe's documented v1 scheme) rather than by the code under test."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from typing import Any

import pytest

from apextick_platform.errors import DomainError, ErrorCode
from booking.adapters.payments.stripe_gateway import StripeGateway, StripeSettings
from booking.domain.payment import NoticeKind, PaymentNotice, Provider

SECRET = "whsec_test_" + "a" * 24
NOW = 1_790_000_000
ORDER = uuid.uuid4()


def gateway(tolerance: int = 300) -> StripeGateway:
    settings = StripeSettings(api_key="sk_test_unit", webhook_secret=SECRET, tolerance_seconds=tolerance)
    return StripeGateway(settings, clock=lambda: float(NOW))


def header(body: bytes, *, secret: str = SECRET, timestamp: int = NOW, scheme: str = "v1") -> dict[str, str]:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return {"stripe-signature": f"t={timestamp},{scheme}={mac}"}


def event(event_type: str, obj: dict[str, Any], event_id: str = "evt_1") -> bytes:
    return json.dumps({"id": event_id, "type": event_type, "data": {"object": obj}}).encode()


def session_obj(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "cs_test_1",
        "object": "checkout.session",
        "client_reference_id": str(ORDER),
        "metadata": {"order_id": str(ORDER)},
        "payment_status": "paid",
        "status": "complete",
        "payment_intent": "pi_1",
        "amount_total": 250000,
        "currency": "lkr",
    }
    base.update(changes)
    return base


async def verified(body: bytes, **kwargs: Any) -> PaymentNotice:
    return await gateway().verify(body, header(body, **kwargs))


async def rejected(body: bytes, headers: dict[str, str], gw: StripeGateway | None = None) -> ErrorCode:
    with pytest.raises(DomainError) as caught:
        await (gw or gateway()).verify(body, headers)
    return caught.value.code


# ------------------------------------------------------------------------------------------ signature


async def test_a_correctly_signed_completed_session_is_paid() -> None:
    notice = await verified(event("checkout.session.completed", session_obj()))
    assert notice == PaymentNotice(
        provider=Provider.STRIPE,
        event_id="evt_1",
        kind=NoticeKind.PAID,
        order_id=ORDER,
        session_id="cs_test_1",
        payment_ref="pi_1",
        amount_minor=250000,
        currency_code="LKR",
    )


async def test_a_tampered_body_is_rejected() -> None:
    body = event("checkout.session.completed", session_obj())
    signed = header(body)
    tampered = body.replace(b"250000", b"1")
    assert await rejected(tampered, signed) is ErrorCode.WEBHOOK_SIGNATURE_INVALID


async def test_a_wrong_secret_is_rejected() -> None:
    body = event("checkout.session.completed", session_obj())
    assert await rejected(body, header(body, secret="whsec_other")) is ErrorCode.WEBHOOK_SIGNATURE_INVALID


@pytest.mark.parametrize("offset", [-301, 301, -86_400, 86_400])
async def test_timestamps_outside_the_tolerance_either_way_are_rejected(offset: int) -> None:
    body = event("checkout.session.completed", session_obj())
    code = await rejected(body, header(body, timestamp=NOW + offset))
    assert code is ErrorCode.WEBHOOK_SIGNATURE_INVALID


@pytest.mark.parametrize("offset", [-300, -1, 0, 299])
async def test_timestamps_inside_the_tolerance_are_accepted(offset: int) -> None:
    notice = await verified(event("checkout.session.completed", session_obj()), timestamp=NOW + offset)
    assert notice.kind is NoticeKind.PAID


async def test_the_tolerance_comes_from_settings() -> None:
    body = event("checkout.session.completed", session_obj())
    signed = header(body, timestamp=NOW - 100)
    assert await rejected(body, signed, gateway(tolerance=60)) is ErrorCode.WEBHOOK_SIGNATURE_INVALID


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"stripe-signature": ""},
        {"stripe-signature": "garbage"},
        {"stripe-signature": f"t={NOW}"},
        {"stripe-signature": "v1=abc"},
        {"stripe-signature": f"t=soon,v1={'0' * 64}"},
    ],
)
async def test_missing_or_malformed_headers_are_rejected(headers: dict[str, str]) -> None:
    body = event("checkout.session.completed", session_obj())
    assert await rejected(body, headers) is ErrorCode.WEBHOOK_SIGNATURE_INVALID


async def test_only_the_v1_scheme_counts() -> None:
    body = event("checkout.session.completed", session_obj())
    assert await rejected(body, header(body, scheme="v0")) is ErrorCode.WEBHOOK_SIGNATURE_INVALID


async def test_any_matching_v1_entry_is_enough_while_secrets_roll() -> None:
    body = event("checkout.session.completed", session_obj())
    good = header(body)["stripe-signature"].split(",")[1]
    headers = {"stripe-signature": f"t={NOW},v1={'0' * 64},{good}"}
    assert (await gateway().verify(body, headers)).kind is NoticeKind.PAID


# ------------------------------------------------------------------------------------------ payload


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        json.dumps({"type": "checkout.session.completed", "data": {"object": {}}}).encode(),
        json.dumps({"id": "evt_1", "data": {"object": {}}}).encode(),
        json.dumps({"id": "evt_1", "type": "checkout.session.completed"}).encode(),
        event("checkout.session.completed", session_obj(amount_total=None)),
        event("checkout.session.completed", session_obj(amount_total="250000")),
        event("checkout.session.completed", session_obj(payment_intent=None)),
        event("payment_intent.succeeded", {"id": "pi_1", "currency": "lkr"}),
        event("charge.refunded", {"id": "ch_1", "amount_refunded": 5, "currency": "lkr"}),
    ],
)
async def test_signed_but_malformed_payloads_are_rejected(body: bytes) -> None:
    assert await rejected(body, header(body)) is ErrorCode.WEBHOOK_PAYLOAD_INVALID


# ------------------------------------------------------------------------------------------ mapping


async def test_a_completed_but_unpaid_session_is_informational() -> None:
    notice = await verified(event("checkout.session.completed", session_obj(payment_status="unpaid")))
    assert (notice.kind, notice.order_id) == (NoticeKind.INFORMATIONAL, ORDER)


async def test_an_async_payment_that_succeeds_is_paid() -> None:
    notice = await verified(event("checkout.session.async_payment_succeeded", session_obj(), "evt_2"))
    assert (notice.kind, notice.event_id, notice.payment_ref) == (NoticeKind.PAID, "evt_2", "pi_1")


async def test_the_order_id_falls_back_to_metadata_and_an_expanded_intent_is_read() -> None:
    obj = session_obj(client_reference_id=None, payment_intent={"id": "pi_9", "object": "payment_intent"})
    notice = await verified(event("checkout.session.completed", obj))
    assert (notice.order_id, notice.payment_ref) == (ORDER, "pi_9")


async def test_a_foreign_order_id_names_no_order() -> None:
    obj = session_obj(client_reference_id="order-42", metadata={"order_id": "not-a-uuid"})
    assert (await verified(event("checkout.session.completed", obj))).order_id is None


async def test_a_succeeded_payment_intent_is_paid() -> None:
    obj = {"id": "pi_7", "amount_received": 1999, "currency": "usd", "metadata": {"order_id": str(ORDER)}}
    notice = await verified(event("payment_intent.succeeded", obj))
    assert notice == PaymentNotice(
        provider=Provider.STRIPE,
        event_id="evt_1",
        kind=NoticeKind.PAID,
        order_id=ORDER,
        payment_ref="pi_7",
        amount_minor=1999,
        currency_code="USD",
    )


async def test_an_expired_session_is_closed() -> None:
    obj = session_obj(status="expired", payment_status="unpaid", payment_intent=None, amount_total=None)
    notice = await verified(event("checkout.session.expired", obj))
    assert (notice.kind, notice.order_id, notice.session_id) == (NoticeKind.CLOSED, ORDER, "cs_test_1")


async def test_a_refunded_charge_is_refunded() -> None:
    obj = {
        "id": "ch_1",
        "payment_intent": "pi_1",
        "amount_refunded": 250000,
        "currency": "lkr",
        "metadata": {"order_id": str(ORDER)},
    }
    notice = await verified(event("charge.refunded", obj))
    assert (notice.kind, notice.order_id, notice.payment_ref, notice.amount_minor, notice.currency_code) == (
        NoticeKind.REFUNDED,
        ORDER,
        "pi_1",
        250000,
        "LKR",
    )


@pytest.mark.parametrize("event_type", ["customer.created", "charge.succeeded", "payment_intent.created"])
async def test_other_events_are_informational(event_type: str) -> None:
    notice = await verified(event(event_type, {"id": "x_1"}, "evt_9"))
    assert notice == PaymentNotice(
        provider=Provider.STRIPE, event_id="evt_9", kind=NoticeKind.INFORMATIONAL, order_id=None
    )
