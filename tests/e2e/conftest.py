"""A real booking gRPC server on an ephemeral port, a real JWKS over loopback HTTP, real PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import grpc
import pytest
from aiohttp.test_utils import TestServer
from apextick.admin.v1 import admin_service_pb2_grpc as admin_grpc
from apextick.catalog.v1 import catalog_service_pb2_grpc as catalog_grpc
from apextick.gates.v1 import gate_service_pb2_grpc as gate_grpc
from apextick.inventory.v1 import inventory_service_pb2_grpc as inventory_grpc
from apextick.orders.v1 import order_service_pb2_grpc as order_grpc
from apextick.payments.v1 import webhook_service_pb2_grpc as webhook_grpc
from apextick.tickets.v1 import ticket_service_pb2_grpc as ticket_grpc

from apextick_platform.settings import sqlalchemy_url
from booking import bootstrap
from booking.adapters.payments.factory import PaymentSettings, build_gateways
from booking.adapters.payments.onepay import OnepaySettings
from booking.adapters.payments.payhere import PayHereSettings
from booking.adapters.payments.stripe_gateway import StripeSettings
from booking.bootstrap import Container
from booking.entrypoints.grpc.server import BookingServer
from booking.settings import BookingSettings, OrderSettings
from devstack.identity import AUDIENCE, DemoUser, JwksServer, SigningKey, access_claims
from devstack.onepay_sandbox import SandboxCredentials, create_app
from edge.settings import EdgeSettings
from tests.e2e.edge_support import Edge, running_edge
from tests.e2e.payment_support import (
    PAYHERE_MERCHANT_ID,
    PAYHERE_SECRET,
    QUEUE_PASS_SECRET,
    STRIPE_WEBHOOK_SECRET,
    TICKET_SECRET,
    running_stripe_mock,
)
from tests.e2e.stripe_proxy import StripeProxy

if TYPE_CHECKING:  # the async stub classes exist only in the .pyi stubs
    Catalog = catalog_grpc.CatalogServiceAsyncStub
    Tickets = ticket_grpc.TicketServiceAsyncStub
from tests.notification_fixtures import NotificationStack


@dataclass
class Identity:
    server: JwksServer
    key: SigningKey

    def token(self, *roles: str, subject: str | None = None, **claims: object) -> str:
        user = DemoUser(f"user-{uuid.uuid4().hex[:8]}", roles)
        body = access_claims(user, self.server.issuer)
        if subject:
            body["sub"] = subject
        body.update(claims)
        return self.key.sign({k: v for k, v in body.items() if v is not None})

    def auth(self, *roles: str, subject: str | None = None) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.token(*roles, subject=subject)}"),)


@pytest.fixture(scope="session")
def identity() -> Iterator[Identity]:
    key = SigningKey.generate()
    server = JwksServer([key]).start()
    yield Identity(server, key)
    server.stop()


@pytest.fixture(scope="session")
def stripe_mock_url() -> Iterator[str]:
    with running_stripe_mock() as url:
        yield url


ONEPAY = SandboxCredentials(
    app_id="APEXTICKE2E", app_token="e2e-token-" + uuid.uuid4().hex, hash_salt="e2e-salt"
)


@pytest.fixture(scope="session")
async def onepay_sandbox_url() -> AsyncIterator[str]:
    """The Onepay stand-in (devstack/onepay_sandbox.py) over real HTTP, for Onepay checkouts."""
    async with TestServer(create_app(ONEPAY), host="127.0.0.1") as server:
        yield str(server.make_url("")).rstrip("/")


def payment_settings(stripe_mock_url: str, onepay_url: str) -> PaymentSettings:
    """Stripe calls go to stripe-mock; webhooks are signed by the tests with these secrets."""
    return PaymentSettings(
        stripe=StripeSettings(
            api_key="sk_test_apextick", webhook_secret=STRIPE_WEBHOOK_SECRET, api_base=stripe_mock_url
        ),
        payhere=PayHereSettings(
            merchant_id=PAYHERE_MERCHANT_ID,
            merchant_secret=PAYHERE_SECRET,
            notify_url="http://localhost:8080/v1/webhooks/payhere",
        ),
        onepay=OnepaySettings(
            app_id=ONEPAY.app_id, app_token=ONEPAY.app_token, hash_salt=ONEPAY.hash_salt, api_base=onepay_url
        ),
    )


@pytest.fixture(scope="session")
async def stripe_proxy(stripe_mock_url: str) -> AsyncIterator[StripeProxy]:
    """Every Stripe call of the booking server passes here on its way to stripe-mock, and is recorded."""
    proxy = StripeProxy(stripe_mock_url.rstrip("/"))
    async with TestServer(proxy.app(), host="127.0.0.1") as server:
        proxy.url = str(server.make_url("")).rstrip("/")
        yield proxy


@pytest.fixture(scope="session")
async def booking_server(
    database_url: str, redis_url: str, identity: Identity, stripe_proxy: StripeProxy, onepay_sandbox_url: str
) -> AsyncIterator[BookingServer[Container]]:
    settings = BookingSettings(
        database_url=sqlalchemy_url(database_url),
        redis_url=redis_url,
        port=0,
        oidc_issuer=identity.server.issuer,
        oidc_audience=AUDIENCE,
        oidc_jwks_url=identity.server.jwks_url,
        db_pool_size=5,
        log_level="WARNING",
        metrics_port=0,  # /metrics on a free port (test_metrics.py)
        # No grace: the reconciliation tests move deadlines into the past and reconcile at once.
        orders=OrderSettings(ticket_signing_secret=TICKET_SECRET, reconcile_grace_seconds=0),
        queue_pass_secret=QUEUE_PASS_SECRET,  # the waiting room tests sign expired passes with it
    )
    gateways = build_gateways(payment_settings(stripe_proxy.url, onepay_sandbox_url))
    server = BookingServer(bootstrap.build(settings, gateways=gateways), "127.0.0.1:0")
    await server.start()
    yield server
    await server.stop(0.5)


@pytest.fixture(scope="session")
def booking_target(booking_server: BookingServer[Container]) -> str:
    return f"127.0.0.1:{booking_server.port}"


@pytest.fixture(scope="session")
def edge(
    booking_target: str,
    notification_stack: NotificationStack,
    identity: Identity,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Edge]:
    """Envoy in front of the test servers (booking and notification, each on its own cluster, as in
    `make up`). Small limits and a short JWKS cache, so tests can see 429s and key rotations quickly."""
    settings = EdgeSettings(
        booking_port=int(booking_target.rsplit(":", 1)[1]),
        notification_port=notification_stack.server.port,
        identity_port=identity.server.port,
        issuer=identity.server.issuer,
        audience=AUDIENCE,
        jwks_cache_seconds=2,
        hold_per_user_burst=5,
        hold_per_user_per_second=1,
        max_body_bytes=16 * 1024,
    )
    with running_edge(settings, tmp_path_factory.mktemp("edge")) as running:
        yield running


@pytest.fixture(scope="session")
async def channel(booking_target: str) -> AsyncIterator[grpc.aio.Channel]:
    async with grpc.aio.insecure_channel(booking_target) as chan:
        yield chan


@pytest.fixture(scope="session")
def catalog(channel: grpc.aio.Channel) -> catalog_grpc.CatalogServiceAsyncStub:
    return catalog_grpc.CatalogServiceStub(channel)


@pytest.fixture(scope="session")
def inventory(channel: grpc.aio.Channel) -> inventory_grpc.InventoryServiceAsyncStub:
    return inventory_grpc.InventoryServiceStub(channel)


@pytest.fixture(scope="session")
def orders(channel: grpc.aio.Channel) -> order_grpc.OrderServiceAsyncStub:
    return order_grpc.OrderServiceStub(channel)


@pytest.fixture(scope="session")
def tickets(channel: grpc.aio.Channel) -> ticket_grpc.TicketServiceAsyncStub:
    return ticket_grpc.TicketServiceStub(channel)


@pytest.fixture(scope="session")
def webhooks(channel: grpc.aio.Channel) -> webhook_grpc.PaymentWebhookServiceAsyncStub:
    return webhook_grpc.PaymentWebhookServiceStub(channel)


@pytest.fixture
def gates(channel: grpc.aio.Channel) -> gate_grpc.GateServiceAsyncStub:
    return gate_grpc.GateServiceStub(channel)


@pytest.fixture
def admin(channel: grpc.aio.Channel) -> admin_grpc.AdminServiceAsyncStub:
    return admin_grpc.AdminServiceStub(channel)
