"""The port every payment provider adapter implements (Stripe, PayHere, Onepay)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol
from uuid import UUID

from booking.domain.payment import PaymentNotice, PaymentSession, Provider, RemotePayment, SessionRequest


class PaymentGateway(Protocol):
    """One provider. Every call is idempotent for the same order (keys derive from the order id), so a
    retried checkout, refund or expiry never has a second effect at the provider. Failures to reach the
    provider raise DomainError(PROVIDER_UNAVAILABLE); a notice that does not verify raises
    DomainError(WEBHOOK_SIGNATURE_INVALID) or DomainError(WEBHOOK_PAYLOAD_INVALID)."""

    @property
    def provider(self) -> Provider: ...

    def supports(self, currency_code: str) -> bool: ...

    async def open_session(self, request: SessionRequest) -> PaymentSession: ...

    async def close_session(self, order_id: UUID, session_id: str) -> None:
        """Stop the session taking a payment (Stripe: expire it). Closing a closed session is fine."""
        ...

    async def refund(self, order_id: UUID, payment_ref: str, amount_minor: int, currency_code: str) -> str:
        """Refund a captured payment in full, at most once per order; returns the provider's refund id."""
        ...

    async def lookup(self, order_id: UUID, session_id: str) -> RemotePayment:
        """Ask the provider where the order's payment is: the reconciler's answer to a lost webhook."""
        ...

    async def verify(self, body: bytes, headers: Mapping[str, str]) -> PaymentNotice:
        """Turn a raw webhook (body and lower-cased headers) into a verified notice."""
        ...
