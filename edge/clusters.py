"""Envoy's upstream clusters. On one machine every upstream is a loopback port (STATIC). In a cluster
an upstream is a DNS name, a headless Service listing every ready pod: STRICT_DNS re-resolves it, so
Envoy balances over the pods itself, asks each for gRPC health actively and ejects one that keeps
failing (outlier detection), instead of leaning on kube-proxy's per-connection balancing, which pins
each of Envoy's long-lived HTTP/2 connections to one pod."""

from __future__ import annotations

import ipaddress
from typing import Any

Json = dict[str, Any]

# Every watcher of the live map is one request in flight for as long as it watches: Envoy's default
# circuit breaker (1,024 per cluster) would refuse the 1,025th.
WATCHERS_IN_FLIGHT = 200_000
HTTP2 = {
    "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
        "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
        "explicit_http_config": {"http2_protocol_options": {}},
    }
}
# A pod answering NOT_SERVING (draining on SIGTERM) leaves rotation within two checks, before its
# grace period ends; a new pod joins at its first SERVING answer.
GRPC_HEALTH_CHECK: Json = {
    "timeout": "1s",
    "interval": "2s",
    "no_traffic_interval": "2s",  # Envoy's default is 60 s for a cluster without traffic yet
    "unhealthy_threshold": 2,
    "healthy_threshold": 1,
    "grpc_health_check": {},
}
# Five UNAVAILABLE-class failures in a row (gateway errors: reset, refused, 502/503/504) eject a pod
# for 30 s, growing with each ejection; never more than half the pods at once.
OUTLIER_DETECTION: Json = {
    "consecutive_gateway_failure": 5,
    "enforcing_consecutive_gateway_failure": 100,
    "consecutive_5xx": 0,
    "enforcing_consecutive_5xx": 0,
    "interval": "5s",
    "base_ejection_time": "30s",
    "max_ejection_percent": 50,
}


def is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def socket_address(host: str, port: int) -> Json:
    return {"socket_address": {"address": host, "port_value": port}}


def cluster(name: str, host: str, *ports: int, grpc: bool) -> Json:
    """Several ports on one host are several endpoints, balanced round robin. A gRPC cluster speaks
    HTTP/2 and, when discovered through DNS, is health-checked and guarded by outlier detection."""
    endpoints = [{"endpoint": {"address": socket_address(host, port)}} for port in ports]
    discovered = not is_ip(host)
    built: Json = {
        "name": name,
        "type": "STRICT_DNS" if discovered else "STATIC",
        "connect_timeout": "2s",
        "lb_policy": "ROUND_ROBIN",
        "load_assignment": {"cluster_name": name, "endpoints": [{"lb_endpoints": endpoints}]},
    }
    if discovered:
        # Re-resolved every 5 s (Envoy's default), so a scaled-out pod takes traffic within seconds.
        built["dns_lookup_family"] = "V4_PREFERRED"  # pods and Services are IPv4 first; IPv6-only still works
    if grpc:
        built["typed_extension_protocol_options"] = HTTP2
        if discovered:
            built["health_checks"] = [GRPC_HEALTH_CHECK]
            built["outlier_detection"] = OUTLIER_DETECTION
    return built


def seatmap_cluster(host: str, port: int) -> Json:
    built = cluster("seatmap", host, port, grpc=True)
    limit = {"max_requests": WATCHERS_IN_FLIGHT, "max_pending_requests": WATCHERS_IN_FLIGHT}
    built["circuit_breakers"] = {"thresholds": [limit]}
    return built
