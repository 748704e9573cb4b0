"""PaymentWebhookService: the raw body and the signature headers go to the provider's adapter
untouched. Envoy passes the HTTP headers as gRPC metadata (lower-cased), which is where signatures
such as `stripe-signature` are read from."""

from __future__ import annotations

from typing import Any

from apextick.payments.v1 import webhook_service_pb2 as svc
from apextick.payments.v1 import webhook_service_pb2_grpc as svc_grpc

from booking.domain.payment import Provider
from booking.entrypoints.grpc.counters import BookingCounters
from booking.service_layer.payment_use_cases import PaymentUseCases

Context = Any


def _headers(context: Context) -> dict[str, str]:
    return {
        key.lower(): value for key, value in (context.invocation_metadata() or ()) if isinstance(value, str)
    }


class WebhookServicer(svc_grpc.PaymentWebhookServiceServicer):
    def __init__(self, payments: PaymentUseCases, counters: BookingCounters | None = None) -> None:
        self._payments = payments
        self._counters = counters or BookingCounters()

    async def _receive(self, provider: Provider, body: bytes, context: Context) -> str:
        outcome = await self._payments.receive(provider, body, _headers(context))
        self._counters.payment_notice(provider.value, outcome.value)
        return outcome.value

    async def ReceiveStripeEvent(
        self, request: svc.ReceiveStripeEventRequest, context: Context
    ) -> svc.ReceiveStripeEventResponse:
        outcome = await self._receive(Provider.STRIPE, request.body.data, context)
        return svc.ReceiveStripeEventResponse(outcome=outcome)

    async def ReceivePayHereNotification(
        self, request: svc.ReceivePayHereNotificationRequest, context: Context
    ) -> svc.ReceivePayHereNotificationResponse:
        outcome = await self._receive(Provider.PAYHERE, request.body.data, context)
        return svc.ReceivePayHereNotificationResponse(outcome=outcome)

    async def ReceiveOnepayCallback(
        self, request: svc.ReceiveOnepayCallbackRequest, context: Context
    ) -> svc.ReceiveOnepayCallbackResponse:
        outcome = await self._receive(Provider.ONEPAY, request.body.data, context)
        return svc.ReceiveOnepayCallbackResponse(outcome=outcome)
