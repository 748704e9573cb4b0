"""Health, reflection and graceful shutdown of a real booking server."""

from __future__ import annotations

import asyncio

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from apextick_platform.settings import sqlalchemy_url
from booking import bootstrap
from booking.entrypoints.grpc.server import BookingServer
from booking.settings import BookingSettings
from tests.e2e.conftest import Identity


async def test_health_reflection_and_graceful_shutdown(
    database_url: str, redis_url: str, identity: Identity
) -> None:
    settings = BookingSettings(
        database_url=sqlalchemy_url(database_url),
        redis_url=redis_url,
        oidc_issuer=identity.server.issuer,
        oidc_jwks_url=identity.server.jwks_url,
        db_pool_size=2,
    )
    server = BookingServer(bootstrap.build(settings), "127.0.0.1:0")
    await server.start()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        health = health_pb2_grpc.HealthStub(channel)
        for service in ("", "apextick.catalog.v1.CatalogService", "apextick.inventory.v1.InventoryService"):
            reply = await health.Check(health_pb2.HealthCheckRequest(service=service))
            assert reply.status == health_pb2.HealthCheckResponse.SERVING

        reflect = reflection_pb2_grpc.ServerReflectionStub(channel)
        responses = reflect.ServerReflectionInfo(
            iter([reflection_pb2.ServerReflectionRequest(list_services="")])
        )
        listed = {s.name async for r in responses for s in r.list_services_response.service}
        assert {
            "apextick.catalog.v1.CatalogService",
            "apextick.inventory.v1.InventoryService",
            "grpc.health.v1.Health",
        } <= listed

        stopping = asyncio.create_task(server.stop(grace=2.0))
        await asyncio.sleep(0.3)  # inside the drain window: still answering, but not for new work
        reply = await health.Check(health_pb2.HealthCheckRequest())
        assert reply.status == health_pb2.HealthCheckResponse.NOT_SERVING
        await stopping
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        try:
            await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=1)
        except grpc.aio.AioRpcError as error:
            assert error.code() in {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED}
        else:
            raise AssertionError("the server still answers after stop")
