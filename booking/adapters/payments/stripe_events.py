"""Stripe webhooks: the `Stripe-Signature` check and the mapping from Stripe events to payment notices.

The signature is checked here rather than with stripe.WebhookSignature because Stripe's verifier only rejects
old timestamps; a timestamp far in the future is rejected too, so a captured-and-held request cannot be
replayed later than the tolerance either way."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from typing import Any
from uuid import UUID

from apextick_platform.errors import DomainError, ErrorCode
from booking.adapters.payments.untrusted import ascii_int, json_object
from booking.domain.payment import NoticeKind, PaymentNotice, Provider

SIGNATURE_HEADER = "stripe-signature"
SCHEME = "v1"  # HMAC-SHA256; v0 is Stripe's test scheme and is never accepted


def signature_invalid(reason: str) -> DomainError:
    return DomainError(
        ErrorCode.WEBHOOK_SIGNATURE_INVALID,
        f"Stripe webhook signature rejected: {reason}",
        metadata={"provider": Provider.STRIPE.value},
    )


def payload_invalid(reason: str) -> DomainError:
    return DomainError(
        ErrorCode.WEBHOOK_PAYLOAD_INVALID,
        f"Stripe webhook payload rejected: {reason}",
        metadata={"provider": Provider.STRIPE.value},
    )


def sign(body: bytes, secret: str, timestamp: int) -> str:
    """The v1 signature Stripe computes: HMAC-SHA256 keyed with the endpoint secret over `{t}.{body}`."""
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def _parse_header(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    signatures: list[str] = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            raise signature_invalid("malformed header")
        if key == "t":
            try:
                timestamp = ascii_int(value, max_digits=12)  # seconds: 12 digits reach the year 33658
            except ValueError:
                raise signature_invalid("malformed timestamp") from None
        elif key == SCHEME:
            signatures.append(value)
    if timestamp is None or not signatures:
        raise signature_invalid(f"header lacks a timestamp or a {SCHEME} signature")
    return timestamp, signatures


def verify_signature(
    body: bytes, headers: Mapping[str, str], secret: str, tolerance_seconds: int, now: float
) -> None:
    header = headers.get(SIGNATURE_HEADER, "")
    if not header:
        raise signature_invalid("no Stripe-Signature header")
    timestamp, signatures = _parse_header(header)
    if abs(now - timestamp) > tolerance_seconds:
        raise signature_invalid("timestamp outside the tolerance")
    expected = sign(body, secret, timestamp).encode()
    # Every v1 entry is compared (Stripe sends several while a secret is being rolled).
    if not any(hmac.compare_digest(expected, candidate.encode()) for candidate in signatures):
        raise signature_invalid("no signature matches")


# ----------------------------------------------------------------------------- event mapping


def _text(obj: Mapping[str, Any], key: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        raise payload_invalid(f"{key} is missing")
    return value


def _amount(obj: Mapping[str, Any], key: str) -> int:
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise payload_invalid(f"{key} is not an amount")
    return value


def _ref(obj: Mapping[str, Any], key: str) -> str:
    """An id field that Stripe may also send expanded into the object it names."""
    value = obj.get(key)
    if isinstance(value, Mapping):
        return _text(value, "id")
    return _text(obj, key)


def _order_id(obj: Mapping[str, Any], *, from_reference: bool) -> UUID | None:
    """Ours only if it parses as one of our order ids; anything else names no order of ours."""
    metadata = obj.get("metadata")
    candidates = [obj.get("client_reference_id")] if from_reference else []
    if isinstance(metadata, Mapping):
        candidates.append(metadata.get("order_id"))
    for candidate in candidates:
        if isinstance(candidate, str):
            try:
                return UUID(candidate)
            except ValueError:
                continue
    return None


def _session_paid(event_id: str, obj: Mapping[str, Any]) -> PaymentNotice:
    order_id = _order_id(obj, from_reference=True)
    if obj.get("payment_status") != "paid":
        # Completed but not yet paid (a delayed payment method): async_payment_succeeded follows.
        return _informational(event_id, obj, order_id)
    return PaymentNotice(
        provider=Provider.STRIPE,
        event_id=event_id,
        kind=NoticeKind.PAID,
        order_id=order_id,
        session_id=_text(obj, "id"),
        payment_ref=_ref(obj, "payment_intent"),
        amount_minor=_amount(obj, "amount_total"),
        currency_code=_text(obj, "currency").upper(),
    )


def _intent_succeeded(event_id: str, obj: Mapping[str, Any]) -> PaymentNotice:
    return PaymentNotice(
        provider=Provider.STRIPE,
        event_id=event_id,
        kind=NoticeKind.PAID,
        order_id=_order_id(obj, from_reference=False),
        payment_ref=_text(obj, "id"),
        amount_minor=_amount(obj, "amount_received"),
        currency_code=_text(obj, "currency").upper(),
    )


def _session_expired(event_id: str, obj: Mapping[str, Any]) -> PaymentNotice:
    return PaymentNotice(
        provider=Provider.STRIPE,
        event_id=event_id,
        kind=NoticeKind.CLOSED,
        order_id=_order_id(obj, from_reference=True),
        session_id=_text(obj, "id"),
    )


def _charge_refunded(event_id: str, obj: Mapping[str, Any]) -> PaymentNotice:
    # The order id is read from the charge's metadata (Stripe copies the PaymentIntent's metadata onto the
    # charges it creates); when absent the caller can still find the order by payment_ref.
    return PaymentNotice(
        provider=Provider.STRIPE,
        event_id=event_id,
        kind=NoticeKind.REFUNDED,
        order_id=_order_id(obj, from_reference=False),
        payment_ref=_ref(obj, "payment_intent"),
        amount_minor=_amount(obj, "amount_refunded"),
        currency_code=_text(obj, "currency").upper(),
    )


def _informational(event_id: str, obj: Mapping[str, Any], order_id: UUID | None = None) -> PaymentNotice:
    del obj
    return PaymentNotice(
        provider=Provider.STRIPE, event_id=event_id, kind=NoticeKind.INFORMATIONAL, order_id=order_id
    )


_HANDLERS: dict[str, Callable[[str, Mapping[str, Any]], PaymentNotice]] = {
    "checkout.session.completed": _session_paid,
    "checkout.session.async_payment_succeeded": _session_paid,
    "payment_intent.succeeded": _intent_succeeded,
    "checkout.session.expired": _session_expired,
    "charge.refunded": _charge_refunded,
}


def parse_notice(body: bytes) -> PaymentNotice:
    """Map an already verified event body to a notice; unknown event types are INFORMATIONAL."""
    try:
        event = json_object(body)
    except ValueError as exc:
        raise payload_invalid(f"the body is not an event object: {exc}") from None
    event_id = _text(event, "id")
    event_type = _text(event, "type")
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(obj, dict):
        raise payload_invalid("data.object is missing")
    handler = _HANDLERS.get(event_type, _informational)
    return handler(event_id, obj)
