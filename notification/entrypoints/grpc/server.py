"""Assembles the notification gRPC server: the servicer behind the platform's CallPipeline (the same
authentication, caller policy from the contract, validation and error table as booking), health and
reflection."""

from __future__ import annotations

import asyncio
import logging
from typing import Generic, Protocol, TypeVar

import psycopg
from apextick.notification.v1 import notification_service_pb2, notification_service_pb2_grpc
from prometheus_client import CollectorRegistry

from apextick_platform.grpc.hosting import HostedServer
from apextick_platform.metrics import MetricsEndpoint
from apextick_platform.tokens import TokenVerifier
from notification.entrypoints.grpc.notification_servicer import NotificationServicer
from notification.service_layer.dead_letter_admin import DeadLetterAdmin
from notification.service_layer.ticket_access import TicketAccess

log = logging.getLogger(__name__)

SERVICES = (notification_service_pb2.DESCRIPTOR.services_by_name["NotificationService"],)
MAX_MESSAGE = 8 * 1024 * 1024  # a ticket PDF is tens of kilobytes; this leaves room without inviting abuse


class Backend(Protocol):
    """What the server needs of the composition root (`bootstrap.Container` is one)."""

    @property
    def verifier(self) -> TokenVerifier: ...
    @property
    def access(self) -> TicketAccess: ...
    @property
    def dead_letters(self) -> DeadLetterAdmin: ...
    @property
    def registry(self) -> CollectorRegistry: ...

    def close(self) -> None: ...


B = TypeVar("B", bound=Backend)


class NotificationServer(Generic[B]):
    """`container` keeps the type it was given (tests reach the use cases through it)."""

    def __init__(self, container: B, address: str, metrics: MetricsEndpoint | None = None) -> None:
        self.container = container
        options = [
            ("grpc.max_send_message_length", MAX_MESSAGE),
            ("grpc.max_receive_message_length", 64 * 1024),
        ]
        self.hosted = HostedServer(
            "notification",
            SERVICES,
            container.verifier,
            options,
            transient=(psycopg.OperationalError,),
            metrics=metrics,
            registry=container.registry,
        )
        notification_service_pb2_grpc.add_NotificationServiceServicer_to_server(
            NotificationServicer(container.access, container.dead_letters), self.hosted.server
        )
        self.port = self.hosted.listen(address)

    async def start(self) -> None:
        await self.hosted.start()

    async def stop(self, grace: float) -> None:
        await self.hosted.drain(grace)
        await asyncio.to_thread(self.container.close)
        log.info("notification server stopped")
