"""Stripe Checkout behind the PaymentGateway port, through stripe's StripeClient on aiohttp (async).

Holds are short (minutes) but a Checkout Session lives at least 30 minutes. The hold is still protected: the
order use cases expire the session explicitly (close_session) when the hold goes (at once on a cancel,
on the reconciler's next round otherwise), and a payment that slips in regardless is refunded once by the
late-payment path. The session's own expiry is only a backstop."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlencode
from uuid import UUID

import aiohttp
import stripe

from apextick_platform.errors import DomainError
from apextick_platform.settings import SettingsError
from booking.adapters.payments import stripe_events
from booking.adapters.payments._http import DEFAULT_TIMEOUT_SECONDS, unavailable
from booking.domain.payment import (
    PaymentNotice,
    PaymentSession,
    Provider,
    RemotePayment,
    RemoteState,
    SessionRequest,
)

T = TypeVar("T")

# Stripe refuses expires_at under 30 minutes from creation; one more minute covers clock skew and latency.
# Added to the hold's expiry rather than to "now" so that a retried create sends identical parameters, which
# Stripe requires for a reused idempotency key.
SESSION_MIN_LIFETIME = timedelta(minutes=31)
FINISHED_SESSION_STATES = frozenset({"expired", "complete"})


@dataclass(frozen=True)
class StripeSettings:
    api_key: str
    webhook_secret: str
    api_base: str = ""  # empty: Stripe itself; http://127.0.0.1:12111 for stripe-mock
    # Local stack only: stripe-mock answers a hosted-page URL that goes nowhere, so the buyer is sent to the
    # dev stack's test payment page instead (devstack/test_checkout.py). Refused with the real Stripe.
    test_checkout_url: str = ""
    tolerance_seconds: int = 300
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS

    def __repr__(self) -> str:  # the dataclass default would print the key and the secret
        return f"StripeSettings(api_base={self.api_base!r}, tolerance_seconds={self.tolerance_seconds})"

    def __post_init__(self) -> None:
        if self.test_checkout_url and not self.api_base:
            raise SettingsError(
                "APEXTICK_STRIPE_TEST_CHECKOUT_URL is for stripe-mock only, never the real Stripe"
            )


def checkout_idempotency_key(order_id: UUID) -> str:
    return f"checkout:{order_id}"


def refund_idempotency_key(order_id: UUID) -> str:
    return f"refund:{order_id}"


def checkout_page_redirect(page: str, request: SessionRequest, session_id: str) -> str:
    """The dev stack's test payment page for one session. stripe-mock keeps no sessions, so what the page
    shows and signs travels in its URL; a tampered amount only earns the webhook a PAYMENT_MISMATCH."""
    query = {
        "session": session_id, "order": str(request.order_id), "reference": request.reference,
        "amount": str(request.amount_minor), "currency": request.currency_code,
        "success": request.success_url, "cancel": request.cancel_url,
    }  # fmt: skip
    return f"{page}?{urlencode(query)}"


def session_expires_at(hold_expires_at: datetime) -> datetime:
    return hold_expires_at + SESSION_MIN_LIFETIME


class StripeGateway:
    def __init__(
        self,
        settings: StripeSettings,
        *,
        session: aiohttp.ClientSession | None = None,
        http_client: stripe.HTTPClient | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._http = http_client or stripe.AIOHTTPClient(
            session=session, timeout=aiohttp.ClientTimeout(total=settings.timeout_seconds)
        )
        self._client = stripe.StripeClient(
            settings.api_key,
            http_client=self._http,
            base_addresses={"api": settings.api_base} if settings.api_base else None,
            max_network_retries=2,  # safe: every mutating call carries an idempotency key
        )

    @property
    def provider(self) -> Provider:
        return Provider.STRIPE

    def supports(self, currency_code: str) -> bool:
        # Stripe settles most ISO currencies, LKR included; the amount is already in Stripe's smallest unit.
        return len(currency_code) == 3 and currency_code.isalpha()  # noqa: PLR2004 - ISO 4217 code length

    async def open_session(self, request: SessionRequest) -> PaymentSession:
        order = str(request.order_id)
        params: Any = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": request.currency_code.lower(),
                        "unit_amount": request.amount_minor,
                        "product_data": {"name": request.description or request.reference},
                    },
                }
            ],
            "client_reference_id": order,
            "metadata": {"order_id": order, "reference": request.reference},
            "payment_intent_data": {"metadata": {"order_id": order, "reference": request.reference}},
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
            "expires_at": int(session_expires_at(request.expires_at).timestamp()),
        }
        if request.customer_email:
            params["customer_email"] = request.customer_email
        created = await self._guard(
            "open_session",
            self._client.v1.checkout.sessions.create_async(
                params, {"idempotency_key": checkout_idempotency_key(request.order_id)}
            ),
        )
        if not created.url:
            raise unavailable(Provider.STRIPE, "open_session", "the session has no URL")
        return PaymentSession(
            provider=Provider.STRIPE,
            session_id=created.id,
            redirect_url=(
                checkout_page_redirect(self._settings.test_checkout_url, request, created.id)
                if self._settings.test_checkout_url
                else created.url
            ),
            expires_at=datetime.fromtimestamp(created.expires_at, UTC),
        )

    async def close_session(self, order_id: UUID, session_id: str) -> None:
        sessions = self._client.v1.checkout.sessions
        try:
            await sessions.expire_async(session_id, options={"idempotency_key": f"expire:{order_id}"})
        except stripe.InvalidRequestError as exc:
            # Stripe refuses to expire a session that is no longer open; that one takes no payment either.
            current = await self._guard("close_session", sessions.retrieve_async(session_id))
            if current.status not in FINISHED_SESSION_STATES:
                raise self._unavailable("close_session", exc) from exc
        except stripe.StripeError as exc:
            raise self._unavailable("close_session", exc) from exc

    async def refund(self, order_id: UUID, payment_ref: str, amount_minor: int, currency_code: str) -> str:
        refund = await self._guard(
            "refund",
            self._client.v1.refunds.create_async(
                {
                    "payment_intent": payment_ref,
                    "amount": amount_minor,
                    "metadata": {"order_id": str(order_id), "currency": currency_code},
                },
                {"idempotency_key": refund_idempotency_key(order_id)},
            ),
        )
        return refund.id

    async def lookup(self, order_id: UUID, session_id: str) -> RemotePayment:
        del order_id  # the session id alone names it at Stripe
        found = await self._guard("lookup", self._client.v1.checkout.sessions.retrieve_async(session_id))
        if found.payment_status == "paid":
            intent = found.payment_intent
            return RemotePayment(
                state=RemoteState.PAID,
                payment_ref=intent if isinstance(intent, str) else (intent.id if intent else ""),
                amount_minor=found.amount_total,
                currency_code=(found.currency or "").upper(),
            )
        if found.status == "expired":
            return RemotePayment(state=RemoteState.CLOSED)
        return RemotePayment(state=RemoteState.OPEN)

    async def verify(self, body: bytes, headers: Mapping[str, str]) -> PaymentNotice:
        stripe_events.verify_signature(
            body, headers, self._settings.webhook_secret, self._settings.tolerance_seconds, self._clock()
        )
        return stripe_events.parse_notice(body)

    async def close(self) -> None:
        # stripe's HTTPClient leaves close_async unannotated; it closes only a session it created itself.
        await self._http.close_async()  # type: ignore[no-untyped-call]

    async def _guard(self, operation: str, call: Awaitable[T]) -> T:
        try:
            return await call
        except stripe.StripeError as exc:
            raise self._unavailable(operation, exc) from exc

    @staticmethod
    def _unavailable(operation: str, exc: stripe.StripeError) -> DomainError:
        # Only the error's class and Stripe's code: Stripe's messages can quote request parameters.
        return unavailable(
            Provider.STRIPE,
            operation,
            type(exc).__name__,
            stripe_error=type(exc).__name__,
            code=exc.code or "",
        )
