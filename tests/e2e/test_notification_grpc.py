"""NotificationService over real gRPC (real server, JWKS, PostgreSQL, SMTP catcher): owners and admins
read ticket PDFs, nobody else learns they exist; deliveries are listed; resends are idempotent and
rate limited."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import grpc
import pytest
from apextick.events.v1 import order_events_pb2
from apextick.notification.v1 import notification_service_pb2 as pb
from apextick.notification.v1 import notification_service_pb2_grpc as pb_grpc

from booking.adapters.ticket_codes import TicketSigner, verify
from tests.e2e.conftest import Identity
from tests.e2e.support import rich_error
from tests.notification_fixtures import NotificationStack, order_confirmed, order_refunded, qr_codes

pytestmark = pytest.mark.e2e


@pytest.fixture
async def stub(notification_stack: NotificationStack) -> AsyncIterator[pb_grpc.NotificationServiceAsyncStub]:
    async with grpc.aio.insecure_channel(notification_stack.target) as channel:
        yield pb_grpc.NotificationServiceStub(channel)


async def _ticketed(
    stack: NotificationStack, signer: TicketSigner, seats: int = 2
) -> order_events_pb2.OrderConfirmed:
    order = order_confirmed(signer, seats=seats)
    await asyncio.to_thread(stack.ticket, order)
    return order


async def test_the_owner_and_an_admin_get_the_pdf_and_another_customer_gets_not_found(
    notification_stack: NotificationStack,
    stub: pb_grpc.NotificationServiceAsyncStub,
    identity: Identity,
    signer: TicketSigner,
) -> None:
    order = await _ticketed(notification_stack, signer)
    owner = identity.auth("customer", subject=order.buyer.subject)
    ticket = order.tickets[0]

    body = await stub.GetTicketPdf(pb.GetTicketPdfRequest(name=ticket.ticket), metadata=owner)
    assert body.content_type == "application/pdf"
    assert body.data.startswith(b"%PDF-")
    [code] = qr_codes(body.data)
    assert code == ticket.code
    assert verify(code, {signer.key_id: signer.public_key}).seat_id == ticket.seat_id

    admin = await stub.GetTicketPdf(
        pb.GetTicketPdfRequest(name=ticket.ticket), metadata=identity.auth("admin")
    )
    assert admin.data == body.data

    other = identity.auth("customer")
    error = await rich_error(stub.GetTicketPdf(pb.GetTicketPdfRequest(name=ticket.ticket), metadata=other))
    assert (error.code, error.reason) == (grpc.StatusCode.NOT_FOUND, "TICKET_NOT_FOUND")
    missing = pb.GetTicketPdfRequest(name=f"tickets/{uuid.uuid4()}")
    error = await rich_error(stub.GetTicketPdf(missing, metadata=owner))
    assert (error.code, error.reason) == (grpc.StatusCode.NOT_FOUND, "TICKET_NOT_FOUND")
    error = await rich_error(stub.GetTicketPdf(pb.GetTicketPdfRequest(name=ticket.ticket)))
    assert error.code == grpc.StatusCode.UNAUTHENTICATED


async def test_a_refunded_ticket_is_no_longer_served_to_its_holder(
    notification_stack: NotificationStack,
    stub: pb_grpc.NotificationServiceAsyncStub,
    identity: Identity,
    signer: TicketSigner,
) -> None:
    order = await _ticketed(notification_stack, signer, seats=1)
    refund = order_refunded(order, voided=[order.tickets[0].ticket])
    await asyncio.to_thread(notification_stack.refund, refund)
    request = pb.GetTicketPdfRequest(name=order.tickets[0].ticket)
    owner = identity.auth("customer", subject=order.buyer.subject)
    error = await rich_error(stub.GetTicketPdf(request, metadata=owner))
    assert error.reason == "TICKET_NOT_FOUND"
    assert (await stub.GetTicketPdf(request, metadata=identity.auth("admin"))).data.startswith(b"%PDF-")


async def test_deliveries_are_listed_for_the_owner_only(
    notification_stack: NotificationStack,
    stub: pb_grpc.NotificationServiceAsyncStub,
    identity: Identity,
    signer: TicketSigner,
) -> None:
    order = await _ticketed(notification_stack, signer, seats=2)
    owner = identity.auth("customer", subject=order.buyer.subject)
    listed = await stub.ListDeliveries(pb.ListDeliveriesRequest(parent=order.order), metadata=owner)
    [delivery] = listed.deliveries
    assert delivery.name.startswith(f"{order.order}/deliveries/")
    assert (delivery.kind, delivery.state) == (pb.DELIVERY_KIND_TICKETS, pb.DELIVERY_STATE_SENT)
    assert (delivery.recipient, delivery.attachment_count) == (order.buyer.email, 2)
    assert delivery.send_time.seconds > 0
    error = await rich_error(
        stub.ListDeliveries(pb.ListDeliveriesRequest(parent=order.order), metadata=identity.auth("customer"))
    )
    assert (error.code, error.reason) == (grpc.StatusCode.NOT_FOUND, "ORDER_NOT_FOUND")


async def test_resend_is_idempotent_per_request_id_rate_limited_and_sent_by_the_sweep(
    notification_stack: NotificationStack,
    stub: pb_grpc.NotificationServiceAsyncStub,
    identity: Identity,
    signer: TicketSigner,
) -> None:
    order = await _ticketed(notification_stack, signer, seats=2)
    owner = identity.auth("customer", subject=order.buyer.subject)
    request = pb.ResendTicketsRequest(order=order.order, request_id=str(uuid.uuid4()))
    first = await stub.ResendTickets(request, metadata=owner)
    again = await stub.ResendTickets(request, metadata=owner)
    assert first.delivery.name == again.delivery.name
    assert (first.delivery.kind, first.delivery.state) == (pb.DELIVERY_KIND_RESEND, pb.DELIVERY_STATE_PENDING)

    spam = pb.ResendTicketsRequest(order=order.order, request_id=str(uuid.uuid4()))
    error = await rich_error(stub.ResendTickets(spam, metadata=owner))
    assert (error.code, error.reason) == (grpc.StatusCode.RESOURCE_EXHAUSTED, "RESEND_LIMITED")
    assert int(error.metadata["retry_after_seconds"]) > 0
    stranger = identity.auth("customer")
    error = await rich_error(stub.ResendTickets(spam, metadata=stranger))
    assert error.reason == "ORDER_NOT_FOUND"

    sent = await asyncio.to_thread(notification_stack.server.container.delivery.send_pending, timedelta(0))
    assert sent >= 1
    mails = notification_stack.catcher.wait_for(order.buyer.email, count=2)
    assert len(mails) == 2
    assert str(mails[1].message["Subject"]).startswith("Again:")
    assert len(mails[1].pdfs()) == 2
    listed = await stub.ListDeliveries(pb.ListDeliveriesRequest(parent=order.order), metadata=owner)
    assert [d.kind for d in listed.deliveries] == [pb.DELIVERY_KIND_RESEND, pb.DELIVERY_KIND_TICKETS]
    assert all(d.state == pb.DELIVERY_STATE_SENT for d in listed.deliveries)
