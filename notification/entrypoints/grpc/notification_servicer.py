"""NotificationService: protobuf to use-case calls and back, nothing else. The use cases are synchronous
(they share the consumer's psycopg store), so each call runs in a worker thread, never on the loop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

import grpc
from apextick.notification.v1 import notification_service_pb2 as pb
from apextick.notification.v1 import notification_service_pb2_grpc as pb_grpc
from google.api import httpbody_pb2

from apextick_platform import call_context
from apextick_platform.errors import DomainError, ErrorCode
from apextick_platform.proto_time import stamp
from notification.domain.delivery import Delivery, DeliveryKind, DeliveryState
from notification.service_layer.dead_letter_admin import DeadLetterAdmin
from notification.service_layer.ports import DeadLetterInfo, TransientError
from notification.service_layer.ticket_access import TicketAccess

T = TypeVar("T")

PDF = "application/pdf"

_KINDS = {
    DeliveryKind.TICKETS: pb.DELIVERY_KIND_TICKETS,
    DeliveryKind.RESEND: pb.DELIVERY_KIND_RESEND,
    DeliveryKind.REFUND_NOTICE: pb.DELIVERY_KIND_REFUND_NOTICE,
}
_STATES = {
    DeliveryState.PENDING: pb.DELIVERY_STATE_PENDING,
    DeliveryState.SENT: pb.DELIVERY_STATE_SENT,
    DeliveryState.FAILED: pb.DELIVERY_STATE_FAILED,
}


def delivery_pb(delivery: Delivery) -> pb.Delivery:
    return pb.Delivery(
        name=f"orders/{delivery.order_id}/deliveries/{delivery.id}",
        kind=_KINDS[delivery.kind],
        state=_STATES[delivery.state],
        recipient=delivery.recipient,
        attachment_count=delivery.attachment_count,
        create_time=stamp(delivery.created_at),
        send_time=stamp(delivery.sent_at),  # unset until the mail server accepted it
    )


async def _run(work: Callable[..., T], *args: object) -> T:
    """A use case in a worker thread; infrastructure trouble reaches the caller as UNAVAILABLE (retry),
    not as INTERNAL."""
    try:
        return await asyncio.to_thread(work, *args)
    except TransientError as exc:
        raise DomainError(ErrorCode.UNAVAILABLE, "tickets are briefly unavailable; try again") from exc


def _id(name: str) -> str:
    """`tickets/abc` to `abc`: the interceptor has already checked the pattern."""
    return name.split("/", 1)[1]


def dead_letter_pb(info: DeadLetterInfo) -> pb.DeadLetter:
    return pb.DeadLetter(
        message_id=info.message_id, type=info.type, routing_key=info.routing_key, reason=info.reason,
        death_count=info.death_count, size_bytes=info.size_bytes,
    )  # fmt: skip


class NotificationServicer(pb_grpc.NotificationServiceServicer):
    def __init__(self, access: TicketAccess, dead_letters: DeadLetterAdmin) -> None:
        self._access = access
        self._dead_letters = dead_letters

    async def ListDeadLetters(
        self, request: pb.ListDeadLettersRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.ListDeadLettersResponse:
        parked = await _run(self._dead_letters.list, request.page_size)
        return pb.ListDeadLettersResponse(dead_letters=[dead_letter_pb(d) for d in parked])

    async def ReplayDeadLetters(
        self, request: pb.ReplayDeadLettersRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.ReplayDeadLettersResponse:
        moved = await _run(self._dead_letters.replay, list(request.message_ids))
        return pb.ReplayDeadLettersResponse(replayed=moved)

    async def GetTicketPdf(
        self, request: pb.GetTicketPdfRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> httpbody_pb2.HttpBody:
        data = await _run(self._access.ticket_pdf, call_context.signed_in(), _id(request.name))
        return httpbody_pb2.HttpBody(content_type=PDF, data=data)

    async def ListDeliveries(
        self, request: pb.ListDeliveriesRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.ListDeliveriesResponse:
        deliveries = await _run(self._access.deliveries, call_context.signed_in(), _id(request.parent))
        return pb.ListDeliveriesResponse(deliveries=[delivery_pb(d) for d in deliveries])

    async def ResendTickets(
        self, request: pb.ResendTicketsRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.ResendTicketsResponse:
        delivery = await _run(
            self._access.resend, call_context.signed_in(), _id(request.order), request.request_id
        )
        return pb.ResendTicketsResponse(delivery=delivery_pb(delivery))
