"""Onepay (onepay.lk, Sri Lanka) behind the PaymentGateway port.

Per docs.onepay.lk (API v3):
  POST {base}/v3/checkout/link/       create a transaction, signed with
                                      hash = sha256(app_id + currency + amount + hash_salt), amount "100.00";
                                      answers data.ipg_transaction_id and data.gateway.redirect_url
  POST {base}/v3/transaction/status/  {app_id, onepay_transaction_id} -> status (true: paid), amount, currency
  POST {base}/v3/transaction/refund/  {app_id, onepay_transaction_id, refund_reason, is_partially}
All carry the app token in the Authorization header.

Onepay's callback ({transaction_id, status, status_message, additional_data}) is not signed, so nothing in it
is believed: verify() takes only the transaction id from it and asks the status API, and the notice says what
that answer says. The callback URL is set in Onepay's portal, not per request."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import aiohttp

from apextick_platform.errors import DomainError, ErrorCode
from booking.adapters.payments import money
from booking.adapters.payments._http import DEFAULT_TIMEOUT_SECONDS, ProviderHttp, unavailable
from booking.adapters.payments.payhere import split_name
from booking.adapters.payments.untrusted import json_object
from booking.domain.payment import (
    NoticeKind,
    PaymentNotice,
    PaymentSession,
    Provider,
    RemotePayment,
    RemoteState,
    SessionRequest,
)

LIVE_API_BASE = "https://api.onepay.lk"
CREATE_PATH = "/v3/checkout/link/"
STATUS_PATH = "/v3/transaction/status/"
REFUND_PATH = "/v3/transaction/refund/"
# Onepay lists ten currencies, each enabled per merchant account; LKR and USD are the ones a Sri Lankan
# merchant normally has.
CURRENCIES = frozenset({"LKR", "USD"})
REFUND_REASON = "OUT_OF_ORDER"  # Onepay's code for "the service or product was unavailable": a resold seat
ALREADY_REFUNDED = "refund already requested"
HTTP_OK = 200


@dataclass(frozen=True)
class OnepaySettings:
    app_id: str
    app_token: str
    hash_salt: str
    api_base: str = LIVE_API_BASE
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS

    def __repr__(self) -> str:  # the dataclass default would print the token and the salt
        return f"OnepaySettings(app_id={self.app_id!r}, api_base={self.api_base!r})"


def request_hash(app_id: str, currency: str, amount: str, hash_salt: str) -> str:
    return hashlib.sha256(f"{app_id}{currency}{amount}{hash_salt}".encode()).hexdigest()


def onepay_reference(order_id: UUID) -> str:
    """Onepay's `reference` is reported (by integrators, not its documentation) to accept 10 to 21 characters,
    so a UUID does not fit; the full order id travels in additionalData instead."""
    return "AT" + order_id.hex[:19]


def _invalid(reason: str) -> DomainError:
    return DomainError(
        ErrorCode.WEBHOOK_PAYLOAD_INVALID,
        f"Onepay callback rejected: {reason}",
        metadata={"provider": Provider.ONEPAY.value},
    )


def parse_callback(body: bytes) -> tuple[str, UUID | None]:
    """The transaction id (to ask about) and the order id we put in additional_data (a hint only)."""
    try:
        payload = json_object(body)
    except ValueError as exc:
        raise _invalid(f"the body is not a JSON object: {exc}") from None
    transaction_id = payload.get("transaction_id")
    if not isinstance(transaction_id, str) or not transaction_id.strip():
        raise _invalid("transaction_id is missing")
    hint = payload.get("additional_data")
    try:
        order_id = UUID(hint) if isinstance(hint, str) and hint else None
    except ValueError:
        order_id = None
    return transaction_id.strip(), order_id


@dataclass(frozen=True)
class _Status:
    transaction_id: str
    paid: bool
    amount_minor: int | None
    currency_code: str


def _status_from(answer: Any, transaction_id: str) -> _Status:
    """Onepay documents the fields at the top level while its examples nest them under `data`: accept both,
    but only for the transaction we asked about, and `paid` only for a literal true."""
    body = answer.get("data") if isinstance(answer, Mapping) else None
    if not isinstance(body, Mapping):
        body = answer if isinstance(answer, Mapping) else {}
    answered_id = str(body.get("ipg_transaction_id") or body.get("onepay_transaction_id") or "")
    if answered_id != transaction_id:
        raise unavailable(Provider.ONEPAY, "status", "the answer names another transaction")
    paid = body.get("status") is True
    currency = str(body.get("currency") or "").upper()
    try:
        amount = money.parse_major(body["amount"], currency) if paid else None
    except (KeyError, ValueError) as exc:
        raise unavailable(Provider.ONEPAY, "status", "a paid transaction without an exact amount") from exc
    return _Status(transaction_id, paid, amount, currency)


class OnepayGateway:
    def __init__(self, settings: OnepaySettings, *, session: aiohttp.ClientSession | None = None) -> None:
        self._settings = settings
        self._http = ProviderHttp(Provider.ONEPAY, session, settings.timeout_seconds)
        self._base = settings.api_base.rstrip("/")

    @property
    def provider(self) -> Provider:
        return Provider.ONEPAY

    def supports(self, currency_code: str) -> bool:
        return currency_code.upper() in CURRENCIES

    def _headers(self) -> dict[str, str]:
        return {"Authorization": self._settings.app_token}

    async def open_session(self, request: SessionRequest) -> PaymentSession:
        """Onepay takes no idempotency key: every call creates a transaction, so the use case opens one
        session per order and keeps it."""
        currency = request.currency_code.upper()
        amount = money.format_major(request.amount_minor, currency)
        first_name, last_name = split_name(request.customer_name, request.customer_email)
        body = {
            "app_id": self._settings.app_id,
            "currency": currency,
            # Sent as the same text that was hashed, so the two cannot disagree by float formatting.
            "amount": amount,
            "hash": request_hash(self._settings.app_id, currency, amount, self._settings.hash_salt),
            "reference": onepay_reference(request.order_id),
            "customer_first_name": first_name,
            "customer_last_name": last_name,
            "customer_phone_number": "",  # required by Onepay; the order carries no phone number yet
            "customer_email": request.customer_email,
            "transaction_redirect_url": request.success_url,
            "additionalData": str(request.order_id),
        }
        status, answer = await self._http.request_json(
            "POST", self._base + CREATE_PATH, "open_session", json_body=body, headers=self._headers()
        )
        data = answer.get("data") if isinstance(answer, Mapping) else None
        gateway = data.get("gateway") if isinstance(data, Mapping) else None
        transaction_id = data.get("ipg_transaction_id") if isinstance(data, Mapping) else None
        redirect_url = gateway.get("redirect_url") if isinstance(gateway, Mapping) else None
        if status != HTTP_OK or not isinstance(transaction_id, str) or not isinstance(redirect_url, str):
            raise unavailable(
                Provider.ONEPAY, "open_session", "no transaction created", http_status=str(status)
            )
        return PaymentSession(
            provider=Provider.ONEPAY,
            session_id=transaction_id,
            redirect_url=redirect_url,
            expires_at=request.expires_at,
        )

    async def close_session(self, order_id: UUID, session_id: str) -> None:
        """Nothing to call: Onepay documents no cancel or expiry for a checkout link. A payment after the hold
        went is caught by the use case and refunded."""
        del order_id, session_id

    async def _status(self, transaction_id: str, operation: str) -> _Status:
        status, answer = await self._http.request_json(
            "POST",
            self._base + STATUS_PATH,
            operation,
            json_body={"app_id": self._settings.app_id, "onepay_transaction_id": transaction_id},
            headers=self._headers(),
        )
        if status != HTTP_OK:
            raise unavailable(Provider.ONEPAY, operation, "status refused", http_status=str(status))
        return _status_from(answer, transaction_id)

    async def verify(self, body: bytes, headers: Mapping[str, str]) -> PaymentNotice:
        """order_id comes from the callback and is only a hint: the caller must find the order by session_id
        (the verified transaction id) or check that the order's session is this transaction."""
        del headers
        transaction_id, order_hint = parse_callback(body)
        found = await self._status(transaction_id, "verify")
        return PaymentNotice(
            provider=Provider.ONEPAY,
            event_id=f"{transaction_id}:{'PAID' if found.paid else 'UNPAID'}",
            kind=NoticeKind.PAID if found.paid else NoticeKind.INFORMATIONAL,
            order_id=order_hint,
            session_id=transaction_id,
            payment_ref=transaction_id if found.paid else "",
            amount_minor=found.amount_minor,
            currency_code=found.currency_code if found.paid else "",
        )

    async def lookup(self, order_id: UUID, session_id: str) -> RemotePayment:
        """Unpaid is OPEN: Onepay reports no expiry, so only the hold's own end closes the order."""
        del order_id
        found = await self._status(session_id, "lookup")
        if not found.paid:
            return RemotePayment(state=RemoteState.OPEN)
        return RemotePayment(
            state=RemoteState.PAID,
            payment_ref=found.transaction_id,
            amount_minor=found.amount_minor,
            currency_code=found.currency_code,
        )

    async def refund(self, order_id: UUID, payment_ref: str, amount_minor: int, currency_code: str) -> str:
        """A full refund. Onepay allows one refund per transaction and refunds live transactions only; when it
        says a refund was already requested (our earlier attempt whose answer was lost) the transaction id,
        which names that single refund, is returned."""
        del amount_minor, currency_code  # is_partially false: Onepay refunds the original amount
        body = {
            "app_id": self._settings.app_id,
            "onepay_transaction_id": payment_ref,
            "is_partially": False,
            "refund_reason": REFUND_REASON,
            "refund_note": f"ApexTick order {order_id}",
        }
        status, answer = await self._http.request_json(
            "POST", self._base + REFUND_PATH, "refund", json_body=body, headers=self._headers()
        )
        message = str(answer.get("message", "")) if isinstance(answer, Mapping) else ""
        if status != HTTP_OK:
            if ALREADY_REFUNDED in message.lower():
                return f"{payment_ref}:refund"
            raise unavailable(Provider.ONEPAY, "refund", message[:200] or "refused", http_status=str(status))
        data = answer.get("data") if isinstance(answer, Mapping) else None
        refund_id = data.get("refund_id") if isinstance(data, Mapping) else None
        return str(refund_id) if refund_id is not None else f"{payment_ref}:refund"

    async def close(self) -> None:
        await self._http.close()
