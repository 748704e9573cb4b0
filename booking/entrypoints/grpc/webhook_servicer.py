"""PaymentWebhookService: the raw body and the signature headers go to the provider's adapter
untouched. Envoy passes the HTTP headers as gRPC metadata (lower-cased), which is where signatures
such as `stripe-signature` are read from."""

from __future__ import annotations

from typing import Any

from apextick.payments.v1 import webhook_service_pb2 as svc
from apextick.payments.v1 import webhook_service_pb2_grpc as svc_grpc

from booking.domain.payment import Provider
from booking.service_layer.payment_use_cases import PaymentUseCases

Context = Any


def _headers(context: Context) -> dict[str, str]:
    return {
        key.lower(): value for key, value in (context.invocation_metadata() or ()) if isinstance(value, str)
    }


class WebhookServicer(svc_grpc.PaymentWebhookServiceServicer):
    def __init__(self, payments: PaymentUseCases) -> None:
        self._payments = payments

    async def ReceiveStripeEvent(
        self, request: svc.ReceiveStripeEventRequest, context: Context
    ) -> svc.ReceiveStripeEventResponse:
        outcome = await self._payments.receive(Provider.STRIPE, request.body.data, _headers(context))
        return svc.ReceiveStripeEventResponse(outcome=outcome.value)

    async def ReceivePayHereNotification(
        self, request: svc.ReceivePayHereNotificationRequest, context: Context
    ) -> svc.ReceivePayHereNotificationResponse:
        outcome = await self._payments.receive(Provider.PAYHERE, request.body.data, _headers(context))
        return svc.ReceivePayHereNotificationResponse(outcome=outcome.value)

    async def ReceiveOnepayCallback(
        self, request: svc.ReceiveOnepayCallbackRequest, context: Context
    ) -> svc.ReceiveOnepayCallbackResponse:
        outcome = await self._payments.receive(Provider.ONEPAY, request.body.data, _headers(context))
        return svc.ReceiveOnepayCallbackResponse(outcome=outcome.value)
