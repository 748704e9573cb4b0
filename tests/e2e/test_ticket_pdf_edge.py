"""GET /v1/tickets/{id}/pdf through a real Envoy (the generated configuration, JWT checks, transcoding of
google.api.HttpBody): the owner gets the PDF as application/pdf, anyone else a 404."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from booking.adapters.ticket_codes import TicketSigner
from devstack.identity import AUDIENCE
from edge.settings import EdgeSettings
from tests.e2e.conftest import Identity
from tests.e2e.edge_support import Edge, free_port, http, running_edge
from tests.notification_fixtures import NotificationStack, order_confirmed, qr_codes

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def notification_edge(
    notification_stack: NotificationStack, identity: Identity, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Edge]:
    settings = EdgeSettings(
        booking_port=free_port(),  # nothing listens there: these routes only reach the notification service
        notification_port=notification_stack.server.port,
        identity_port=identity.server.port,
        issuer=identity.server.issuer,
        audience=AUDIENCE,
        jwks_cache_seconds=2,
    )
    with running_edge(settings, tmp_path_factory.mktemp("notification-edge")) as running:
        yield running


async def test_the_owner_downloads_the_ticket_pdf_through_the_rest_edge(
    notification_stack: NotificationStack, notification_edge: Edge, identity: Identity, signer: TicketSigner
) -> None:
    order = order_confirmed(signer, seats=1)
    await asyncio.to_thread(notification_stack.ticket, order)
    [ticket] = order.tickets
    url = f"{notification_edge.rest}/v1/{ticket.ticket}/pdf"

    reply = await http("GET", url, token=identity.token("customer", subject=order.buyer.subject))
    assert reply.status == 200
    assert reply.headers["content-type"] == "application/pdf"
    assert reply.body.startswith(b"%PDF-")
    assert qr_codes(reply.body) == [ticket.code]

    other = await http("GET", url, token=identity.token("customer"))
    assert other.status == 404
    assert other.json()["details"][0]["reason"] == "TICKET_NOT_FOUND"
    anonymous = await http("GET", url)
    assert anonymous.status == 401
    admin = await http("GET", url, token=identity.token("admin"))
    assert (admin.status, admin.body) == (200, reply.body)
