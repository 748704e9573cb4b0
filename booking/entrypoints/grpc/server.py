"""Assembles the booking gRPC server: servicers, interceptor, health and reflection."""

from __future__ import annotations

import asyncio
import logging

import grpc
from apextick.catalog.v1 import catalog_service_pb2, catalog_service_pb2_grpc
from apextick.inventory.v1 import inventory_service_pb2, inventory_service_pb2_grpc
from apextick.orders.v1 import order_service_pb2, order_service_pb2_grpc
from apextick.payments.v1 import webhook_service_pb2, webhook_service_pb2_grpc
from apextick.tickets.v1 import ticket_service_pb2, ticket_service_pb2_grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer  # the asyncio servicer; `health.aio` aliases it
from grpc_reflection.v1alpha import reflection

from booking.bootstrap import Container
from booking.entrypoints.grpc.catalog_servicer import CatalogServicer
from booking.entrypoints.grpc.interceptor import CallPipeline
from booking.entrypoints.grpc.inventory_servicer import InventoryServicer
from booking.entrypoints.grpc.order_servicer import OrderServicer, TicketServicer
from booking.entrypoints.grpc.policy import policies_of
from booking.entrypoints.grpc.webhook_servicer import WebhookServicer

log = logging.getLogger(__name__)

SERVICES = (
    catalog_service_pb2.DESCRIPTOR.services_by_name["CatalogService"],
    inventory_service_pb2.DESCRIPTOR.services_by_name["InventoryService"],
    order_service_pb2.DESCRIPTOR.services_by_name["OrderService"],
    ticket_service_pb2.DESCRIPTOR.services_by_name["TicketService"],
    webhook_service_pb2.DESCRIPTOR.services_by_name["PaymentWebhookService"],
)


class BookingServer:
    """A started server plus what graceful shutdown needs."""

    def __init__(self, container: Container, address: str) -> None:
        self.container = container
        self.health = HealthServicer()
        self.server = grpc.aio.server(
            interceptors=[CallPipeline(policies_of(SERVICES), container.verifier)],
            options=[("grpc.so_reuseport", 1), ("grpc.max_receive_message_length", 4 * 1024 * 1024)],
        )
        catalog_service_pb2_grpc.add_CatalogServiceServicer_to_server(
            CatalogServicer(container.venues, container.events, container.clock), self.server
        )
        inventory_service_pb2_grpc.add_InventoryServiceServicer_to_server(
            InventoryServicer(container.holds, container.hub, container.clock), self.server
        )
        order_service_pb2_grpc.add_OrderServiceServicer_to_server(
            OrderServicer(container.orders), self.server
        )
        ticket_service_pb2_grpc.add_TicketServiceServicer_to_server(
            TicketServicer(container.orders), self.server
        )
        webhook_service_pb2_grpc.add_PaymentWebhookServiceServicer_to_server(
            WebhookServicer(container.payments), self.server
        )
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        names = [service.full_name for service in SERVICES]
        reflection.enable_server_reflection(
            [*names, health.SERVICE_NAME, reflection.SERVICE_NAME], self.server
        )
        self.port = self.server.add_insecure_port(address)
        self._names = names

    async def start(self) -> None:
        await self.container.open()
        await self.server.start()
        for name in ["", *self._names]:
            await self.health.set(name, health_pb2.HealthCheckResponse.SERVING)
        log.info("booking server listening", extra={"port": self.port})

    async def stop(self, grace: float) -> None:
        """Say NOT_SERVING first so load balancers stop sending, let calls in flight finish, then close."""
        await self.health.enter_graceful_shutdown()
        await asyncio.sleep(min(grace, 1.0))
        await self.server.stop(grace)
        await self.container.close()
        log.info("booking server stopped")
