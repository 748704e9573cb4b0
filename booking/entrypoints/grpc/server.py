"""Assembles the booking gRPC server: servicers, interceptor, health and reflection."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Generic, Protocol, TypeVar

import psycopg
import redis.exceptions
from apextick.admin.v1 import admin_service_pb2, admin_service_pb2_grpc
from apextick.catalog.v1 import catalog_service_pb2, catalog_service_pb2_grpc
from apextick.gates.v1 import gate_service_pb2, gate_service_pb2_grpc
from apextick.inventory.v1 import inventory_service_pb2, inventory_service_pb2_grpc
from apextick.orders.v1 import order_service_pb2, order_service_pb2_grpc
from apextick.payments.v1 import webhook_service_pb2, webhook_service_pb2_grpc
from apextick.sales.v1 import sales_service_pb2, sales_service_pb2_grpc
from apextick.tickets.v1 import ticket_service_pb2, ticket_service_pb2_grpc
from apextick.waitingroom.v1 import waiting_room_service_pb2, waiting_room_service_pb2_grpc
from prometheus_client import CollectorRegistry

from apextick_platform.grpc.hosting import HostedServer
from apextick_platform.metrics import MetricsEndpoint
from apextick_platform.tokens import TokenVerifier
from booking.adapters.redis_seats import SeatChangeHub
from booking.domain.seat_feed import TickPolicy
from booking.entrypoints.grpc.admin_servicer import AdminServicer
from booking.entrypoints.grpc.catalog_servicer import CatalogServicer
from booking.entrypoints.grpc.counters import BookingCounters
from booking.entrypoints.grpc.gate_servicer import GateServicer
from booking.entrypoints.grpc.inventory_servicer import InventoryServicer, SeatMapStreams, WatchLimits
from booking.entrypoints.grpc.order_servicer import OrderServicer, TicketServicer
from booking.entrypoints.grpc.sales_servicer import SalesServicer
from booking.entrypoints.grpc.seat_map_fanout import SeatMapFanout
from booking.entrypoints.grpc.waiting_room_servicer import WaitingRoomServicer
from booking.entrypoints.grpc.webhook_servicer import WebhookServicer
from booking.service_layer.best_available_use_cases import BestAvailableUseCases
from booking.service_layer.event_use_cases import EventUseCases
from booking.service_layer.gate_use_cases import GateUseCases
from booking.service_layer.hold_use_cases import HoldUseCases
from booking.service_layer.order_use_cases import OrderUseCases
from booking.service_layer.payment_use_cases import PaymentUseCases
from booking.service_layer.refund_use_cases import RefundUseCases
from booking.service_layer.sales_use_cases import SalesUseCases
from booking.service_layer.user_admin_use_cases import UserAdminUseCases
from booking.service_layer.venue_use_cases import VenueUseCases
from booking.service_layer.waiting_room_use_cases import WaitingRoomUseCases
from booking.settings import BookingSettings

log = logging.getLogger(__name__)

SERVICES = (
    catalog_service_pb2.DESCRIPTOR.services_by_name["CatalogService"],
    inventory_service_pb2.DESCRIPTOR.services_by_name["InventoryService"],
    order_service_pb2.DESCRIPTOR.services_by_name["OrderService"],
    ticket_service_pb2.DESCRIPTOR.services_by_name["TicketService"],
    webhook_service_pb2.DESCRIPTOR.services_by_name["PaymentWebhookService"],
    gate_service_pb2.DESCRIPTOR.services_by_name["GateService"],
    admin_service_pb2.DESCRIPTOR.services_by_name["AdminService"],
    sales_service_pb2.DESCRIPTOR.services_by_name["SalesService"],
    waiting_room_service_pb2.DESCRIPTOR.services_by_name["WaitingRoomService"],
)


class Backend(Protocol):
    """What the server needs of the composition root (`bootstrap.Container` is one): the server sits
    below bootstrap and never imports it."""

    @property
    def verifier(self) -> TokenVerifier: ...
    @property
    def venues(self) -> VenueUseCases: ...
    @property
    def events(self) -> EventUseCases: ...
    @property
    def holds(self) -> HoldUseCases: ...
    @property
    def orders(self) -> OrderUseCases: ...
    @property
    def payments(self) -> PaymentUseCases: ...
    @property
    def gates(self) -> GateUseCases: ...
    @property
    def refunds(self) -> RefundUseCases: ...
    @property
    def sales(self) -> SalesUseCases: ...
    @property
    def users(self) -> UserAdminUseCases: ...
    @property
    def hub(self) -> SeatChangeHub: ...
    @property
    def clock(self) -> Callable[[], datetime]: ...
    @property
    def settings(self) -> BookingSettings: ...
    @property
    def registry(self) -> CollectorRegistry: ...
    @property
    def waiting_room(self) -> WaitingRoomUseCases | None: ...
    @property
    def best_available(self) -> BestAvailableUseCases | None: ...

    async def open(self) -> None: ...
    async def close(self) -> None: ...


B = TypeVar("B", bound=Backend)

# gRPC core cancels calls that arrive faster than the server picks them up once more than a
# thousand wait (measured: of 4,000 seat-map streams opened at once, about 900 ended CANCELLED
# before any handler ran). When a drop opens, thousands arrive at once: they wait their turn.
PENDING_CALLS = ("grpc.server.max_pending_requests", 50_000)

# A lost database connection (terminated, restarting server, pool exhausted) or Redis being away is
# "retry shortly", not an internal error.
TRANSIENT = (psycopg.OperationalError, redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


def seat_map_streams(container: Backend) -> tuple[SeatMapStreams, SeatMapFanout]:
    """The live map's fan-out, fed by the container's seat-change hub, and the streams it serves."""
    settings = container.settings
    policy = TickPolicy(
        settings.watch_tick_floor_ms / 1000, settings.watch_tick_ceiling_ms / 1000, settings.watch_cpu_budget
    )
    fanout = SeatMapFanout(policy, settings.watch_backlog, settings.watch_heartbeat_seconds, container.clock)
    container.hub.add_sink(fanout.collect)
    limits = WatchLimits(
        settings.watch_streams_per_caller, settings.watch_heartbeat_seconds, settings.watch_backlog
    )
    return SeatMapStreams(container.holds, fanout, limits), fanout


class ServingWithMap:
    """What the booking and seat-map servers both start and stop, in this order: the container, the
    live map's fan-out, then the gRPC server (and back, draining first)."""

    container: Backend
    fanout: SeatMapFanout
    hosted: HostedServer

    async def start(self) -> None:
        await self.container.open()
        self.fanout.start()
        await self.hosted.start()

    async def stop(self, grace: float) -> None:
        await self.hosted.drain(grace)
        await self.fanout.stop()
        await self.container.close()
        log.info(f"{self.hosted.label} server stopped")  # noqa: G004 - label is ours


class BookingServer(ServingWithMap, Generic[B]):
    """A started server plus what graceful shutdown needs; `container` keeps the type it was given."""

    container: B

    def __init__(self, container: B, address: str) -> None:
        self.container = container
        self.hosted = HostedServer(
            "booking",
            SERVICES,
            container.verifier,
            options=[
                ("grpc.so_reuseport", 1),
                ("grpc.max_receive_message_length", 4 * 1024 * 1024),
                PENDING_CALLS,
            ],
            transient=TRANSIENT,
            loop_watch_ms=container.settings.loop_watch_ms,
            metrics=MetricsEndpoint(container.settings.host, container.settings.metrics_port),
            registry=container.registry,
        )
        server = self.hosted.server
        streams, self.fanout = seat_map_streams(container)
        counters = BookingCounters(self.hosted.registry)
        catalog_service_pb2_grpc.add_CatalogServiceServicer_to_server(
            CatalogServicer(container.venues, container.events, container.clock), server
        )
        inventory_service_pb2_grpc.add_InventoryServiceServicer_to_server(
            InventoryServicer(container.holds, streams, container.clock, counters, container.best_available),
            server,
        )
        order_service_pb2_grpc.add_OrderServiceServicer_to_server(
            OrderServicer(container.orders, container.refunds, counters), server
        )
        ticket_service_pb2_grpc.add_TicketServiceServicer_to_server(TicketServicer(container.orders), server)
        webhook_service_pb2_grpc.add_PaymentWebhookServiceServicer_to_server(
            WebhookServicer(container.payments, counters), server
        )
        gate_service_pb2_grpc.add_GateServiceServicer_to_server(
            GateServicer(container.gates, counters), server
        )
        admin_service_pb2_grpc.add_AdminServiceServicer_to_server(
            AdminServicer(container.refunds, container.users, container.orders), server
        )
        sales_service_pb2_grpc.add_SalesServiceServicer_to_server(SalesServicer(container.sales), server)
        if container.waiting_room is not None:
            waiting_room_service_pb2_grpc.add_WaitingRoomServiceServicer_to_server(
                WaitingRoomServicer(container.waiting_room), server
            )
        self.port = self.hosted.listen(address)
