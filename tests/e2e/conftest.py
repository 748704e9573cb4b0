"""A real booking gRPC server on an ephemeral port, a real JWKS over loopback HTTP, real PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import grpc
import pytest
from apextick.catalog.v1 import catalog_service_pb2_grpc as catalog_grpc
from apextick.inventory.v1 import inventory_service_pb2_grpc as inventory_grpc

from booking import bootstrap
from booking.entrypoints.grpc.server import BookingServer
from booking.settings import BookingSettings, sqlalchemy_url
from devstack.identity import AUDIENCE, DemoUser, JwksServer, SigningKey, access_claims
from edge.settings import EdgeSettings
from tests.e2e.edge_support import Edge, running_edge
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
async def booking_target(database_url: str, redis_url: str, identity: Identity) -> AsyncIterator[str]:
    settings = BookingSettings(
        database_url=sqlalchemy_url(database_url),
        redis_url=redis_url,
        port=0,
        oidc_issuer=identity.server.issuer,
        oidc_audience=AUDIENCE,
        oidc_jwks_url=identity.server.jwks_url,
        db_pool_size=5,
        log_level="WARNING",
    )
    server = BookingServer(bootstrap.build(settings), "127.0.0.1:0")
    await server.start()
    yield f"127.0.0.1:{server.port}"
    await server.stop(0.5)


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
