"""What every ApexTick gRPC server shares: the call pipeline (token, caller policy from the contract,
validation, the error table), health with graceful shutdown, reflection, and a watch on the event
loop (loop_watch.py). The booking and the
notification servers differ only in their servicers and their containers."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from collections.abc import Awaitable, Callable, Sequence
from wsgiref.simple_server import WSGIServer

import grpc
from google.protobuf import message_factory
from google.protobuf.descriptor import ServiceDescriptor
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer  # the asyncio servicer; `health.aio` aliases it
from grpc_reflection.v1alpha import reflection
from prometheus_client import CollectorRegistry

from apextick_platform.grpc.pipeline import CallPipeline
from apextick_platform.grpc.policy import policies_of
from apextick_platform.loop_watch import LoopWatch
from apextick_platform.metrics import MetricsEndpoint, RpcMetrics, new_registry, stop_serving
from apextick_platform.tokens import TokenVerifier

log = logging.getLogger(__name__)


class HostedServer:
    """A grpc.aio server for `services`; register the servicers on `.server`, then `listen`."""

    def __init__(
        self,
        label: str,
        services: Sequence[ServiceDescriptor],
        verifier: TokenVerifier,
        options: Sequence[tuple[str, int]],
        transient: tuple[type[BaseException], ...] = (),
        loop_watch_ms: float = 100.0,
        metrics: MetricsEndpoint | None = None,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self.label = label
        self.health = HealthServicer()
        self.registry = registry or new_registry()  # the process's own, when its adapters count too
        self._metrics = metrics or MetricsEndpoint()
        self._metrics_server: WSGIServer | None = None
        # Recorded only where they are served: nobody could read them otherwise.
        served = self._metrics.port is not None
        rpc_metrics = RpcMetrics(self.registry, label) if served else None
        pipeline = CallPipeline(policies_of(services), verifier, transient, rpc_metrics)
        pipeline.warm(
            message_factory.GetMessageClass(method.input_type)
            for service in services
            for method in service.methods
        )
        self.server = grpc.aio.server(interceptors=[pipeline], options=list(options))
        self._names = [service.full_name for service in services]
        self.port = 0
        self.loop_watch = LoopWatch(threshold_seconds=loop_watch_ms / 1000)

    def listen(self, address: str) -> int:
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        reflection.enable_server_reflection(
            [*self._names, health.SERVICE_NAME, reflection.SERVICE_NAME], self.server
        )
        self.port = self.server.add_insecure_port(address)
        return self.port

    @property
    def metrics_port(self) -> int | None:
        return None if self._metrics_server is None else int(self._metrics_server.server_address[1])

    async def start(self) -> None:
        # What start-up made (modules, the container) lives as long as the process: out of the
        # collector's sight, a full collection no longer walks it, which otherwise held the event loop
        # ~100 ms at times. Done before the port opens, so no request waits for it.
        gc.collect()
        gc.freeze()
        self._metrics_server = self._metrics.start(self.registry)
        self.loop_watch.start()
        await self.server.start()
        for name in ["", *self._names]:
            await self.health.set(name, health_pb2.HealthCheckResponse.SERVING)
        log.info(f"{self.label} server listening", extra={"port": self.port})  # noqa: G004 - label is ours

    async def drain(self, grace: float) -> None:
        """Say NOT_SERVING first so load balancers (and the edge) stop sending, let calls in flight
        finish, then stop."""
        await self.health.enter_graceful_shutdown()
        await asyncio.sleep(min(grace, 1.0))
        await self.server.stop(grace)
        await self.loop_watch.stop()
        stop_serving(self._metrics_server)


async def until_signalled(start: Callable[[], Awaitable[None]], stop: Callable[[], Awaitable[None]]) -> None:
    """Start, wait for SIGTERM or SIGINT, stop: the life of a server process."""
    await start()
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    await stopping.wait()
    await stop()
