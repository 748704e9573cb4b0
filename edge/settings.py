"""What the edge configuration depends on, from the environment (ports default to ARCHITECTURE.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from apextick_platform.settings import Env


@dataclass(frozen=True)
class EdgeSettings:
    rest_port: int = 8080
    grpc_port: int = 8081
    admin_port: int = 9901
    booking_port: int = 50051
    # More booking processes on ports of their own: Envoy balances over all of them (round robin, each
    # with its own HTTP/2 connections). Processes sharing one port through SO_REUSEPORT need no entry.
    booking_extra_ports: tuple[int, ...] = ()
    notification_port: int = 50052
    identity_port: int = 8180
    issuer: str = "http://localhost:8180/realms/apextick"
    audience: str = "apextick-api"
    jwks_cache_seconds: int = 30  # how soon a rotated key is trusted: Envoy refetches on this timer only
    web_origin: str = "http://localhost:3000"
    max_body_bytes: int = 64 * 1024
    hold_per_user_burst: int = 30  # tokens a customer may spend on the hold route at once
    hold_per_user_per_second: int = 10
    hold_route_per_second: int = 5000  # all customers together, before the seat claim
    user_per_second: int = 100  # any other authenticated route, per customer
    # Webhooks, per source address: a provider's burst after an outage fits; a flood from one host does not.
    webhook_per_source_burst: int = 500
    webhook_per_source_per_second: int = 200
    # The web app's static server behind the same origin (every path outside /v1/); None: no web app.
    web_port: int | None = None
    # The live seat map's own process (`apextick-booking seatmap`); None: booking serves the map too.
    seatmap_port: int | None = None
    # Where the edge listens and where its upstreams are: loopback on one machine; in a cluster the
    # listeners take every interface and each upstream is a Service's DNS name (see edge/clusters.py).
    listen_address: str = "127.0.0.1"
    booking_host: str = "127.0.0.1"
    seatmap_host: str = "127.0.0.1"
    notification_host: str = "127.0.0.1"
    identity_host: str = "127.0.0.1"
    web_host: str = "127.0.0.1"
    # A listener answering only /ready (200 while Envoy is not draining) for a kubelet's probe, since
    # the admin port stays on loopback; None: no such listener.
    health_port: int | None = None

    @property
    def jwks_path(self) -> str:
        return self.issuer.split("://", 1)[1].split("/", 1)[1] + "/protocol/openid-connect/certs"

    @classmethod
    def from_env(cls, source: Env | Mapping[str, str] | None = None) -> EdgeSettings:
        env = Env.of(source)

        def number(name: str, default: int) -> int:
            return env.integer(name, default, minimum=0)

        identity_port = number("APEXTICK_IDENTITY_PORT", cls.identity_port)
        return cls(
            rest_port=number("APEXTICK_EDGE_REST_PORT", cls.rest_port),
            grpc_port=number("APEXTICK_EDGE_GRPC_PORT", cls.grpc_port),
            admin_port=number("APEXTICK_EDGE_ADMIN_PORT", cls.admin_port),
            booking_port=number("APEXTICK_BOOKING_PORT", cls.booking_port),
            booking_extra_ports=env.integers("APEXTICK_BOOKING_EXTRA_PORTS"),
            notification_port=number("APEXTICK_NOTIFICATION_PORT", cls.notification_port),
            identity_port=identity_port,
            issuer=env.text("APEXTICK_OIDC_ISSUER", f"http://localhost:{identity_port}/realms/apextick"),
            audience=env.text("APEXTICK_OIDC_AUDIENCE", cls.audience),
            jwks_cache_seconds=number("APEXTICK_EDGE_JWKS_CACHE_SECONDS", cls.jwks_cache_seconds),
            web_origin=env.text("APEXTICK_WEB_ORIGIN", cls.web_origin),
            hold_per_user_burst=number("APEXTICK_EDGE_HOLD_PER_USER_BURST", cls.hold_per_user_burst),
            hold_per_user_per_second=number("APEXTICK_EDGE_HOLD_PER_USER_RPS", cls.hold_per_user_per_second),
            hold_route_per_second=number("APEXTICK_EDGE_HOLD_ROUTE_RPS", cls.hold_route_per_second),
            user_per_second=number("APEXTICK_EDGE_USER_RPS", cls.user_per_second),
            webhook_per_source_burst=number("APEXTICK_EDGE_WEBHOOK_BURST", cls.webhook_per_source_burst),
            webhook_per_source_per_second=number(
                "APEXTICK_EDGE_WEBHOOK_RPS", cls.webhook_per_source_per_second
            ),
            web_port=env.optional_integer("APEXTICK_WEB_PORT"),
            seatmap_port=env.optional_integer("APEXTICK_SEATMAP_PORT"),
            **_placement(env),
        )


def _placement(env: Env) -> dict[str, Any]:
    """Addresses, for a cluster: each defaults to loopback."""
    hosts = {
        name: env.text(f"APEXTICK_EDGE_{name.upper()}", "127.0.0.1")
        for name in (
            "listen_address",
            "booking_host",
            "seatmap_host",
            "notification_host",
            "identity_host",
            "web_host",
        )
    }
    return {**hosts, "health_port": env.optional_integer("APEXTICK_EDGE_HEALTH_PORT")}
