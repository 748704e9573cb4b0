"""The edge as configured for a cluster: upstreams named by DNS (STRICT_DNS), asked for gRPC health
actively, and a /ready listener for the kubelet. Here the DNS name is `localhost` and the services are
the test servers; one upstream that answers NOT_SERVING stands for a draining pod."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer

from edge.settings import EdgeSettings
from tests.e2e.edge_support import Edge, free_port, http, running_edge


@pytest.fixture
async def draining_upstream() -> AsyncIterator[int]:
    """A gRPC server whose health says NOT_SERVING, as a booking pod's does once SIGTERM arrives."""
    server = grpc.aio.server()
    health = HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    await health.set("", health_pb2.HealthCheckResponse.NOT_SERVING)
    yield port
    await server.stop(None)


@pytest.fixture
def cluster_edge(edge: Edge, draining_upstream: int, tmp_path: Path) -> Iterator[Edge]:
    settings = replace(
        edge.settings,
        booking_host="localhost",
        notification_host="localhost",
        notification_port=draining_upstream,
        identity_host="localhost",
        health_port=free_port(),
    )
    with running_edge(settings, tmp_path / "edge") as running:
        yield running


def admin(edge: Edge, path: str, method: str = "GET") -> bytes:
    request = urllib.request.Request(f"http://127.0.0.1:{edge.settings.admin_port}{path}", method=method)
    with urllib.request.urlopen(request, timeout=5) as reply:  # noqa: S310 - loopback
        return bytes(reply.read())


def health_of(edge: Edge, cluster: str) -> list[dict[str, Any]]:
    clusters = json.loads(admin(edge, "/clusters?format=json"))["cluster_statuses"]
    found = next(c for c in clusters if c["name"] == cluster)
    return [host["health_status"] for host in found.get("host_statuses", [])]


async def settled(edge: Edge, cluster: str, wanted: Callable[[dict[str, Any]], bool]) -> None:
    """Until every host of `cluster` is as `wanted` (the health checker runs every 2 s)."""
    deadline = asyncio.get_running_loop().time() + 15
    while True:
        statuses = await asyncio.to_thread(health_of, edge, cluster)
        if statuses and all(wanted(status) for status in statuses):
            return
        assert asyncio.get_running_loop().time() < deadline, f"{cluster}: {statuses}"
        await asyncio.sleep(0.2)


async def test_dns_upstreams_are_health_checked_and_a_draining_one_is_taken_out(cluster_edge: Edge) -> None:
    await settled(
        cluster_edge,
        "booking",
        lambda status: (
            status.get("eds_health_status") == "HEALTHY" and "failed_active_health_check" not in status
        ),
    )
    await settled(cluster_edge, "notification", lambda status: bool(status.get("failed_active_health_check")))
    listed = await http("GET", f"{cluster_edge.rest}/v1/events")
    assert listed.status == 200, listed.body  # through the DNS-discovered, health-checked cluster


async def test_the_ready_listener_follows_the_drain(cluster_edge: Edge) -> None:
    port = cluster_edge.settings.health_port
    assert port is not None
    ready = await http("GET", f"http://127.0.0.1:{port}/ready")
    assert ready.status == 200
    other = await http("GET", f"http://127.0.0.1:{port}/v1/events")
    assert other.status == 404  # the probe listener serves nothing else of the API...
    stats = await http("GET", f"http://127.0.0.1:{port}/stats/prometheus")
    assert stats.status == 200
    assert b"envoy_cluster_upstream_rq" in stats.body  # ...but the admin's metrics, for Prometheus
    mutation = await http("POST", f"http://127.0.0.1:{port}/healthcheck/fail")
    assert mutation.status == 404  # and no admin action
    await asyncio.to_thread(admin, cluster_edge, "/healthcheck/fail", "POST")
    draining = await http("GET", f"http://127.0.0.1:{port}/ready")
    assert draining.status == 503


ALL_INTERFACES = "0.0.0.0"  # noqa: S104 - a pod's listeners


def test_the_edge_settings_read_the_cluster_addresses() -> None:
    settings = EdgeSettings.from_env({
        "APEXTICK_EDGE_LISTEN_ADDRESS": ALL_INTERFACES,
        "APEXTICK_EDGE_BOOKING_HOST": "booking",
        "APEXTICK_EDGE_HEALTH_PORT": "8082",
    })  # fmt: skip
    assert settings.listen_address == ALL_INTERFACES
    assert settings.booking_host == "booking"
    assert settings.health_port == 8082
    assert settings.notification_host == "127.0.0.1"
