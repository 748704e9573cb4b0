"""PayHere (Sri Lanka) Checkout behind the PaymentGateway port.

PayHere's checkout is an HTML form the customer's browser posts to PayHere, so open_session makes no call: it
returns the form fields, signed with PayHere's checkout hash. The notify callback is signed with md5sig, which
has no timestamp or nonce: a captured notice replays forever, so the event id (payment id and status) is what
makes a replay a no-op, and the caller compares amount and currency with the order.

Hashes (support.payhere.lk, Checkout API):
  checkout: upper(md5(merchant_id + order_id + amount + currency + upper(md5(merchant_secret))))
  notify:   upper(md5(merchant_id + order_id + payhere_amount + payhere_currency + status_code
                      + upper(md5(merchant_secret))))
with amounts as fixed-point text with two decimals."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl
from uuid import UUID

import aiohttp

from apextick_platform.errors import DomainError, ErrorCode
from booking.adapters.payments import money
from booking.adapters.payments._http import DEFAULT_TIMEOUT_SECONDS, ProviderHttp
from booking.adapters.payments.payhere_api import PayHereMerchantApi
from booking.domain.payment import (
    NoticeKind,
    PaymentNotice,
    PaymentSession,
    Provider,
    RemotePayment,
    RemoteState,
    SessionRequest,
)

SANDBOX_CHECKOUT_URL = "https://sandbox.payhere.lk/pay/checkout"
SANDBOX_API_BASE = "https://sandbox.payhere.lk"
# PayHere's Checkout API takes only these two currencies (its documentation: "Currency Code (LKR/USD)").
CURRENCIES = frozenset({"LKR", "USD"})
NOTIFY_FIELDS = ("merchant_id", "order_id", "payment_id", "payhere_amount", "payhere_currency", "status_code")
STATUS_PAID, STATUS_CHARGEBACK = 2, -3  # 0 pending, -1 cancelled, -2 failed: nothing for an order to do
SEARCH_PAID = "RECEIVED"
SEARCH_REVERSED = frozenset({"REFUNDED", "CHARGEBACKED"})


@dataclass(frozen=True)
class PayHereSettings:
    merchant_id: str
    merchant_secret: str
    notify_url: str
    checkout_url: str = SANDBOX_CHECKOUT_URL
    api_base: str = SANDBOX_API_BASE
    app_id: str = ""  # with app_secret: the Merchant API (refund, lookup); without, those are unsupported
    app_secret: str = ""
    country: str = "Sri Lanka"
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS

    def __repr__(self) -> str:  # the dataclass default would print the secrets
        return f"PayHereSettings(merchant_id={self.merchant_id!r}, checkout_url={self.checkout_url!r})"


def _md5_upper(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest().upper()


def checkout_hash(settings: PayHereSettings, order_id: str, amount: str, currency: str) -> str:
    secret_digest = _md5_upper(settings.merchant_secret)
    return _md5_upper(f"{settings.merchant_id}{order_id}{amount}{currency}{secret_digest}")


def notify_hash(settings: PayHereSettings, fields: Mapping[str, str], amount: str) -> str:
    secret_digest = _md5_upper(settings.merchant_secret)
    signed = (
        f"{settings.merchant_id}{fields['order_id']}{amount}{fields['payhere_currency']}"
        f"{fields['status_code']}{secret_digest}"
    )
    return _md5_upper(signed)


def split_name(full_name: str, email: str) -> tuple[str, str]:
    """PayHere wants a first and a last name. The last word is the surname; a single name fills both, and no
    name at all falls back to the e-mail's local part, so the form is never rejected for a blank field."""
    words = full_name.split()
    if not words:
        words = [email.partition("@")[0] or "Customer"]
    if len(words) == 1:
        return words[0], words[0]
    return " ".join(words[:-1]), words[-1]


def _invalid(reason: str) -> DomainError:
    return DomainError(
        ErrorCode.WEBHOOK_PAYLOAD_INVALID,
        f"PayHere notification rejected: {reason}",
        metadata={"provider": Provider.PAYHERE.value},
    )


def _forged(reason: str) -> DomainError:
    return DomainError(
        ErrorCode.WEBHOOK_SIGNATURE_INVALID,
        f"PayHere notification rejected: {reason}",
        metadata={"provider": Provider.PAYHERE.value},
    )


def parse_form(body: bytes) -> dict[str, str]:
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError) as exc:
        raise _invalid("the body is not a form") from exc
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise _invalid("a field is repeated")  # which copy did PayHere sign? neither, we refuse
    missing = [name for name in (*NOTIFY_FIELDS, "md5sig") if not fields.get(name)]
    if missing:
        raise _invalid(f"missing {', '.join(missing)}")
    return fields


def _status_code(text: str) -> int:
    """PayHere's status codes are small signed integers (2, 0, -1, -2, -3); anything else is malformed."""
    digits = text.removeprefix("-")
    if not (0 < len(digits) <= 2 and digits.isascii() and digits.isdigit()):  # noqa: PLR2004 - two digits
        raise ValueError("status_code is not a status")
    return -int(digits) if text.startswith("-") else int(digits)


def _order_uuid(text: str) -> UUID | None:
    try:
        return UUID(text)
    except ValueError:
        return None


def _remote_from(payments: list[Mapping[str, Any]]) -> RemotePayment:
    for payment in payments:
        if str(payment.get("status", "")).upper() == SEARCH_PAID:
            currency = str(payment.get("currency", "")).upper()
            return RemotePayment(
                state=RemoteState.PAID,
                payment_ref=str(payment.get("payment_id", "")),
                amount_minor=money.parse_major(payment.get("amount", ""), currency),
                currency_code=currency,
            )
    if any(str(p.get("status", "")).upper() in SEARCH_REVERSED for p in payments):
        return RemotePayment(state=RemoteState.CLOSED)  # paid once, the money went back: never payable again
    # PayHere checkout has no expiry, so an order without a payment stays payable as far as PayHere knows.
    return RemotePayment(state=RemoteState.OPEN)


class PayHereGateway:
    def __init__(self, settings: PayHereSettings, *, session: aiohttp.ClientSession | None = None) -> None:
        self._settings = settings
        self._http = ProviderHttp(Provider.PAYHERE, session, settings.timeout_seconds)
        self._api = (
            PayHereMerchantApi(self._http, settings.api_base, settings.app_id, settings.app_secret)
            if settings.app_id and settings.app_secret
            else None
        )

    @property
    def provider(self) -> Provider:
        return Provider.PAYHERE

    def supports(self, currency_code: str) -> bool:
        return currency_code.upper() in CURRENCIES

    async def open_session(self, request: SessionRequest) -> PaymentSession:
        order_id = str(request.order_id)
        currency = request.currency_code.upper()
        amount = money.format_major(request.amount_minor, currency)
        first_name, last_name = split_name(request.customer_name, request.customer_email)
        fields = {
            "merchant_id": self._settings.merchant_id,
            "return_url": request.success_url,
            "cancel_url": request.cancel_url,
            "notify_url": self._settings.notify_url,
            "order_id": order_id,
            "items": request.description or request.reference,
            "currency": currency,
            "amount": amount,
            "first_name": first_name,
            "last_name": last_name,
            "email": request.customer_email,
            # Required by PayHere but unknown to us; left blank for the customer to fill on PayHere's page
            # (not confirmed against the live gateway).
            "phone": "",
            "address": "",
            "city": "",
            "country": self._settings.country,
            "custom_1": request.reference,
            "hash": checkout_hash(self._settings, order_id, amount, currency),
        }
        return PaymentSession(
            provider=Provider.PAYHERE,
            session_id=order_id,
            redirect_url=self._settings.checkout_url,
            expires_at=request.expires_at,
            form_fields=fields,
        )

    async def close_session(self, order_id: UUID, session_id: str) -> None:
        """Nothing to call: PayHere's checkout has no expiry or cancel API. A payment after the hold went is
        caught by the use case (the order is no longer payable) and refunded."""
        del order_id, session_id

    async def refund(self, order_id: UUID, payment_ref: str, amount_minor: int, currency_code: str) -> str:
        """The payment refunded is the one PayHere itself records as received for our order: a notify's
        payment_id is not covered by its md5sig, so it is never trusted as a refund target."""
        del (
            payment_ref,
            amount_minor,
            currency_code,
        )  # PayHere refunds the whole payment when no amount is sent
        api = self._merchant_api("refund")
        received = _remote_from(await api.payments_of(str(order_id)))
        if received.state is not RemoteState.PAID or not received.payment_ref:
            raise DomainError(
                ErrorCode.PROVIDER_UNAVAILABLE,
                "PayHere refund: PayHere reports no received payment for the order yet",
                metadata={"provider": Provider.PAYHERE.value, "operation": "refund"},
            )
        return await api.refund(received.payment_ref, f"ApexTick order {order_id}")

    async def lookup(self, order_id: UUID, session_id: str) -> RemotePayment:
        del session_id  # our order id is PayHere's order_id
        payments = await self._merchant_api("lookup").payments_of(str(order_id))
        try:
            return _remote_from(payments)
        except ValueError as exc:
            raise DomainError(
                ErrorCode.PROVIDER_UNAVAILABLE,
                "PayHere lookup failed: an amount PayHere sent is not exact",
                metadata={"provider": Provider.PAYHERE.value, "operation": "lookup"},
            ) from exc

    async def verify(self, body: bytes, headers: Mapping[str, str]) -> PaymentNotice:
        del headers  # PayHere signs the form fields, not the request
        fields = parse_form(body)
        currency = fields["payhere_currency"].upper()
        try:
            amount_minor = money.parse_major(fields["payhere_amount"], currency)
            status_code = _status_code(fields["status_code"])
        except ValueError as exc:
            raise _invalid("amount or status_code is malformed") from exc
        amount = money.format_major(amount_minor, currency)
        expected = notify_hash(self._settings, fields, amount).encode()
        if not hmac.compare_digest(expected, fields["md5sig"].upper().encode()):
            raise _forged("md5sig does not match")
        if not hmac.compare_digest(fields["merchant_id"].encode(), self._settings.merchant_id.encode()):
            raise _forged("merchant_id is not ours")
        kind = {STATUS_PAID: NoticeKind.PAID, STATUS_CHARGEBACK: NoticeKind.REFUNDED}.get(
            status_code, NoticeKind.INFORMATIONAL
        )
        # Only signed fields name the notice: merchant_id, order_id, amount, currency and status_code are
        # under md5sig, payment_id is not. So the dedupe key is the order and its status (PayHere reports
        # one payment per order and status), and the refund target is asked of PayHere (see refund).
        return PaymentNotice(
            provider=Provider.PAYHERE,
            event_id=f"{fields['order_id']}:{status_code}",
            kind=kind,
            order_id=_order_uuid(fields["order_id"]),
            session_id=fields["order_id"],
            amount_minor=amount_minor,
            currency_code=currency,
        )

    async def close(self) -> None:
        await self._http.close()

    def _merchant_api(self, operation: str) -> PayHereMerchantApi:
        if self._api is None:
            raise DomainError(
                ErrorCode.PROVIDER_NOT_SUPPORTED,
                f"PayHere {operation} needs the Merchant API app id and secret, which are not configured",
                metadata={"provider": Provider.PAYHERE.value, "operation": operation},
            )
        return self._api
