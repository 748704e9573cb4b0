"""Which upstream serves which contract: the edge routes each service's RPCs to its own cluster.

Read from the generated contracts only: rendering the edge configuration imports no service's code, so
it needs neither a service's dependencies nor its settings. A test keeps the booking list equal to the
services the booking server registers."""

from __future__ import annotations

from apextick.admin.v1 import admin_service_pb2
from apextick.catalog.v1 import catalog_service_pb2
from apextick.gates.v1 import gate_service_pb2
from apextick.inventory.v1 import inventory_service_pb2
from apextick.notification.v1 import notification_service_pb2
from apextick.orders.v1 import order_service_pb2
from apextick.payments.v1 import webhook_service_pb2
from apextick.sales.v1 import sales_service_pb2
from apextick.tickets.v1 import ticket_service_pb2
from apextick.waitingroom.v1 import waiting_room_service_pb2
from google.protobuf.descriptor import ServiceDescriptor

from edge.routes import RestRoute, rest_routes

UPSTREAMS: dict[str, tuple[ServiceDescriptor, ...]] = {
    "booking": (
        catalog_service_pb2.DESCRIPTOR.services_by_name["CatalogService"],
        inventory_service_pb2.DESCRIPTOR.services_by_name["InventoryService"],
        order_service_pb2.DESCRIPTOR.services_by_name["OrderService"],
        ticket_service_pb2.DESCRIPTOR.services_by_name["TicketService"],
        webhook_service_pb2.DESCRIPTOR.services_by_name["PaymentWebhookService"],
        gate_service_pb2.DESCRIPTOR.services_by_name["GateService"],
        admin_service_pb2.DESCRIPTOR.services_by_name["AdminService"],
        sales_service_pb2.DESCRIPTOR.services_by_name["SalesService"],
        waiting_room_service_pb2.DESCRIPTOR.services_by_name["WaitingRoomService"],
    ),
    "notification": (notification_service_pb2.DESCRIPTOR.services_by_name["NotificationService"],),
}


def all_routes() -> list[RestRoute]:
    return [route for cluster, services in UPSTREAMS.items() for route in rest_routes(services, cluster)]


def clusters_by_service() -> dict[str, str]:
    return {service.full_name: cluster for cluster, services in UPSTREAMS.items() for service in services}
