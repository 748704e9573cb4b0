"""Assembles the notification gRPC server: the servicer behind the platform's CallPipeline (the same
authentication, caller policy from the contract, validation and error table as booking), health and
reflection."""

from __future__ import annotations

import asyncio
import logging

import grpc
from apextick.notification.v1 import notification_service_pb2, notification_service_pb2_grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer  # the asyncio servicer; `health.aio` aliases it
from grpc_reflection.v1alpha import reflection

from booking.entrypoints.grpc.interceptor import CallPipeline
from booking.entrypoints.grpc.policy import policies_of
from notification.bootstrap import Container
from notification.entrypoints.grpc.notification_servicer import NotificationServicer

log = logging.getLogger(__name__)

SERVICES = (notification_service_pb2.DESCRIPTOR.services_by_name["NotificationService"],)
MAX_MESSAGE = 8 * 1024 * 1024  # a ticket PDF is tens of kilobytes; this leaves room without inviting abuse


class NotificationServer:
    def __init__(self, container: Container, address: str) -> None:
        self.container = container
        self.health = HealthServicer()
        self.server = grpc.aio.server(
            interceptors=[CallPipeline(policies_of(SERVICES), container.verifier)],
            options=[
                ("grpc.max_send_message_length", MAX_MESSAGE),
                ("grpc.max_receive_message_length", 64 * 1024),
            ],
        )
        notification_service_pb2_grpc.add_NotificationServiceServicer_to_server(
            NotificationServicer(container.access), self.server
        )
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        names = [service.full_name for service in SERVICES]
        reflection.enable_server_reflection(
            [*names, health.SERVICE_NAME, reflection.SERVICE_NAME], self.server
        )
        self.port = self.server.add_insecure_port(address)
        self._names = names

    async def start(self) -> None:
        await self.server.start()
        for name in ["", *self._names]:
            await self.health.set(name, health_pb2.HealthCheckResponse.SERVING)
        log.info("notification server listening", extra={"port": self.port})

    async def stop(self, grace: float) -> None:
        """NOT_SERVING first so the edge stops sending, then let calls in flight finish."""
        await self.health.enter_graceful_shutdown()
        await asyncio.sleep(min(grace, 1.0))
        await self.server.stop(grace)
        await asyncio.to_thread(self.container.close)
        log.info("notification server stopped")
