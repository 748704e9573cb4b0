"""`apextick-booking seatmap`: the live seat map in a process of its own, apart from the claim path.

It serves InventoryService's WatchSeatMap only (every other method answers UNIMPLEMENTED here), with
the same streams, fan-out and call pipeline as the booking server. The edge sends the map's watchers
here, so thousands of open streams cost the claims' event loop nothing, and this process's tick
keeps its own CPU within budget (seat_feed.TickPolicy)."""

from __future__ import annotations

import grpc
from apextick.inventory.v1 import inventory_service_pb2 as svc

from apextick_platform.grpc.hosting import HostedServer
from apextick_platform.metrics import MetricsEndpoint
from booking.entrypoints.grpc.server import (
    PENDING_CALLS,
    TRANSIENT,
    Backend,
    ServingWithMap,
    seat_map_streams,
)

SERVICE = svc.DESCRIPTOR.services_by_name["InventoryService"]


class SeatMapServer(ServingWithMap):
    def __init__(self, container: Backend, address: str) -> None:
        self.container = container
        self.hosted = HostedServer(
            "seatmap",
            (SERVICE,),
            container.verifier,
            options=[("grpc.so_reuseport", 1), PENDING_CALLS],
            transient=TRANSIENT,
            loop_watch_ms=container.settings.loop_watch_ms,
            metrics=MetricsEndpoint(container.settings.host, container.settings.metrics_port),
            registry=container.registry,
        )
        streams, self.fanout = seat_map_streams(container)
        watch = grpc.unary_stream_rpc_method_handler(
            streams.WatchSeatMap,
            request_deserializer=svc.WatchSeatMapRequest.FromString,
            response_serializer=svc.WatchSeatMapResponse.SerializeToString,
        )
        self.hosted.server.add_generic_rpc_handlers(
            [grpc.method_handlers_generic_handler(SERVICE.full_name, {"WatchSeatMap": watch})]
        )
        self.port = self.hosted.listen(address)
