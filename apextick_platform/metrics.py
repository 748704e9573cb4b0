"""Prometheus metrics of an ApexTick process: every RPC the call pipeline answers (a count by method,
gRPC code and ErrorInfo reason, and a latency histogram), plus the standard process metrics, served
on the process's own /metrics port (with /livez and /readyz for processes without gRPC health).

Each process has its own registry and port: processes sharing a gRPC port (SO_REUSEPORT) or running
as replicas are scraped one by one, and histograms (unlike per-process quantiles) add up across them
in PromQL. Recording costs two dictionary look-ups, a counter increment and a histogram observation
per call: about 1.2 µs (timeit) beside the hold path's 400 µs of CPU."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Histogram,
    make_wsgi_app,
)
from prometheus_client.exposition import ThreadingWSGIServer
from prometheus_client.metrics import MetricWrapperBase

from apextick_platform.probes import Readiness

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# Seconds: the hold path's answers sit between 1 ms and a few hundred; a stream's lifetime lands in
# the last buckets.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def new_registry() -> CollectorRegistry:
    """A registry with the process collectors (CPU, memory, open files, GC, Python version)."""
    registry = CollectorRegistry(auto_describe=True)
    for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
        registry.register(collector)
    return registry


class RpcMetrics:
    """What the call pipeline records: one call at a time, from the event loop."""

    def __init__(self, registry: CollectorRegistry, server: str) -> None:
        self._server = server
        self._requests = Counter(
            "apextick_rpc_requests",
            "RPCs answered, by method, gRPC code and ErrorInfo reason (OK for a success)",
            ["server", "method", "code", "reason"],
            registry=registry,
        )
        self._latency = Histogram(
            "apextick_rpc_duration_seconds",
            "Time from a call's arrival in the pipeline to its answer (a stream's whole life)",
            ["server", "method"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self._children: dict[tuple[str, str, str], tuple[MetricWrapperBase, MetricWrapperBase]] = {}

    def record(self, method: str, code: str, reason: str, seconds: float) -> None:
        key = (method, code, reason)
        children = self._children.get(key)
        if children is None:  # labels() costs a lock and a tuple: once per distinct outcome
            children = self._children[key] = (
                self._requests.labels(self._server, method, code, reason),
                self._latency.labels(self._server, method),
            )
        children[0].inc()  # type: ignore[attr-defined]
        children[1].observe(seconds)  # type: ignore[attr-defined]


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's signature
        """A scrape or a probe every few seconds is not worth a log line."""


def _app(registry: CollectorRegistry, probes: Readiness | None) -> WsgiApp:
    """/metrics, and /livez and /readyz where the process has probes (503 when not)."""
    metrics = make_wsgi_app(registry)

    def app(environ: dict[str, Any], respond: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if probes is None or path not in {"/livez", "/readyz"}:
            return metrics(environ, respond)  # type: ignore[no-any-return]
        body: dict[str, object] = {"live": probes.live()}
        healthy = bool(body["live"])
        if path == "/readyz":
            body["dependencies"] = probes.ready()
            healthy = probes.is_ready()
        respond("200 OK" if healthy else "503 Service Unavailable", [("Content-Type", "application/json")])
        return [json.dumps(body).encode()]

    return app


@dataclass(frozen=True)
class MetricsEndpoint:
    """Where /metrics (and a worker's probes) are served; port 0 picks a free one (tests), None
    serves nothing."""

    host: str = "127.0.0.1"
    port: int | None = None

    def start(self, registry: CollectorRegistry, probes: Readiness | None = None) -> WSGIServer | None:
        """Serve from a daemon thread (`server_address` has the port; `shutdown` stops it)."""
        if self.port is None:
            return None
        server = make_server(self.host, self.port, _app(registry, probes), ThreadingWSGIServer, _Quiet)
        threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
        return server


def stop_serving(server: WSGIServer | None) -> None:
    """Stop what `MetricsEndpoint.start` started, listening socket included."""
    if server is not None:
        server.shutdown()
        server.server_close()
