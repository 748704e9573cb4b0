"""A payment gateway that counts its refunds for Prometheus, by provider and outcome.

Counted at the provider call because refunds start in four places (a customer's, an organizer's and an
admin's request, and the reconciler finishing a cancelled event's): this is the one they all pass. The
call is idempotent per order, so a retried refund that the provider answers again counts again: these
count refund calls answered, not orders refunded (the ledger knows those)."""

from __future__ import annotations

from collections.abc import Mapping
from uuid import UUID

from prometheus_client import CollectorRegistry, Counter

from apextick_platform.errors import DomainError
from booking.domain.payment import PaymentNotice, PaymentSession, Provider, RemotePayment, SessionRequest
from booking.service_layer.payment_ports import PaymentGateway


class RefundCounter:
    def __init__(self, registry: CollectorRegistry) -> None:
        self._refunds = Counter(
            "apextick_refunds",
            "Refund calls to a payment provider, by provider and outcome (refunded, or the error's reason)",
            ["provider", "outcome"],
            registry=registry,
        )

    def record(self, provider: Provider, outcome: str) -> None:
        self._refunds.labels(provider.value, outcome).inc()


class CountedGateway:
    """Delegates every call to `inner`; a refund's outcome is counted on the way back."""

    def __init__(self, inner: PaymentGateway, counter: RefundCounter) -> None:
        self._inner = inner
        self._counter = counter

    @property
    def provider(self) -> Provider:
        return self._inner.provider

    def supports(self, currency_code: str) -> bool:
        return self._inner.supports(currency_code)

    async def open_session(self, request: SessionRequest) -> PaymentSession:
        return await self._inner.open_session(request)

    async def close_session(self, order_id: UUID, session_id: str) -> None:
        await self._inner.close_session(order_id, session_id)

    async def refund(self, order_id: UUID, payment_ref: str, amount_minor: int, currency_code: str) -> str:
        try:
            refund_id = await self._inner.refund(order_id, payment_ref, amount_minor, currency_code)
        except DomainError as error:
            self._counter.record(self.provider, error.code.value)
            raise
        self._counter.record(self.provider, "refunded")
        return refund_id

    async def lookup(self, order_id: UUID, session_id: str) -> RemotePayment:
        return await self._inner.lookup(order_id, session_id)

    async def verify(self, body: bytes, headers: Mapping[str, str]) -> PaymentNotice:
        return await self._inner.verify(body, headers)


def counted(
    gateways: Mapping[Provider, PaymentGateway], registry: CollectorRegistry
) -> dict[Provider, PaymentGateway]:
    counter = RefundCounter(registry)
    return {provider: CountedGateway(gateway, counter) for provider, gateway in gateways.items()}
