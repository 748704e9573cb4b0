"""Which upstream serves which contract: the edge routes each service's RPCs to its own cluster."""

from __future__ import annotations

from apextick.notification.v1 import notification_service_pb2
from google.protobuf.descriptor import ServiceDescriptor

from booking.entrypoints.grpc.server import SERVICES as BOOKING_SERVICES
from edge.routes import RestRoute, rest_routes

# The notification service's contract is read from the generated code: the edge needs its routes, not
# the service's code.
NOTIFICATION_SERVICES: tuple[ServiceDescriptor, ...] = (
    notification_service_pb2.DESCRIPTOR.services_by_name["NotificationService"],
)

UPSTREAMS: dict[str, tuple[ServiceDescriptor, ...]] = {
    "booking": tuple(BOOKING_SERVICES),
    "notification": NOTIFICATION_SERVICES,
}


def all_routes() -> list[RestRoute]:
    return [route for cluster, services in UPSTREAMS.items() for route in rest_routes(services, cluster)]


def clusters_by_service() -> dict[str, str]:
    return {service.full_name: cluster for cluster, services in UPSTREAMS.items() for service in services}
