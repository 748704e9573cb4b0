"""The Envoy bootstrap, as data. Listeners: REST on `rest_port` (transcoder, JWT, roles, rate limits,
CORS, body limit, the lists-are-lists body check), native gRPC on `grpc_port` (JWT, rate limits),
admin on loopback only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from apextick_platform.identity import ROLES_BY_POLICY, CallerPolicy, Role
from edge.body_shapes import lua_source, shapes_for
from edge.clusters import cluster, seatmap_cluster, socket_address
from edge.local_replies import grpc_local_reply_config, local_reply_config
from edge.routes import RestRoute
from edge.settings import EdgeSettings

Json = dict[str, Any]
API = "type.googleapis.com/envoy.extensions.filters.http"
HCM = "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"
HOLD_RPC = "/apextick.inventory.v1.InventoryService/HoldSeats"
# Served apart from the rest of booking when a seat-map process is configured: thousands of open map
# streams then cost the claims' event loop nothing.
WATCH_RPC = "/apextick.inventory.v1.InventoryService/WatchSeatMap"


def _upstream(s: EdgeSettings, rpc: str, cluster: str) -> str:
    return "seatmap" if s.seatmap_port is not None and rpc == WATCH_RPC else cluster


LUA = "envoy.filters.http.lua"
LUA_OFF = {"@type": f"{API}.lua.v3.LuaPerRoute", "disabled": True}
USER_HEADER = "x-apextick-sub"  # set from the verified token's sub; Envoy strips client-sent copies


def _listening(s: EdgeSettings, port: int) -> Json:
    return socket_address(s.listen_address, port)


def _percent(value: int = 100) -> Json:
    return {"default_value": {"numerator": value, "denominator": "HUNDRED"}, "runtime_key": "unused"}


def _bucket(burst: int, per_second: int) -> Json:
    return {"max_tokens": burst, "tokens_per_fill": per_second, "fill_interval": "1s"}


def jwt_filter(s: EdgeSettings) -> Json:
    provider = {
        "issuer": s.issuer,
        "audiences": [s.audience],
        "remote_jwks": {
            "http_uri": {
                "uri": f"http://{s.identity_host}:{s.identity_port}/{s.jwks_path}",
                "cluster": "identity",
                "timeout": "5s",
            },
            "cache_duration": f"{s.jwks_cache_seconds}s",
            "async_fetch": {},
            "retry_policy": {"num_retries": 3},
        },
        "forward": True,  # the services verify the token again
        "claim_to_headers": [{"header_name": USER_HEADER, "claim_name": "sub"}],
        "payload_in_metadata": "jwt_payload",
    }
    return {
        "name": "envoy.filters.http.jwt_authn",
        "typed_config": {
            "@type": f"{API}.jwt_authn.v3.JwtAuthentication",
            "providers": {"keycloak": provider},
            "requirement_map": {
                "signed_in": {"provider_name": "keycloak"},
                # Browsing needs no token, but a token that is present must be valid.
                "public": {
                    "requires_any": {"requirements": [{"provider_name": "keycloak"}, {"allow_missing": {}}]}
                },
            },
        },
    }


def _rbac_for(roles: frozenset[Role]) -> Json:
    principals = [
        {"sourced_metadata": {"metadata_matcher": {
            "filter": "envoy.filters.http.jwt_authn",
            "path": [{"key": "jwt_payload"}, {"key": "realm_access"}, {"key": "roles"}],
            "value": {"list_match": {"one_of": {"string_match": {"exact": role}}}}}}}
        for role in sorted(roles)
    ]  # fmt: skip
    policy = {"permissions": [{"any": True}], "principals": principals}
    return {
        "@type": f"{API}.rbac.v3.RBACPerRoute",
        "rbac": {"rules": {"action": "ALLOW", "policies": {"role": policy}}},
    }


USER_DESCRIPTOR = [{"actions": [{"request_headers": {"header_name": USER_HEADER, "descriptor_key": "user",
                                                     "skip_if_absent": True}}]}]  # fmt: skip
# Webhooks carry no token, and an unsigned one (Onepay's) makes the service ask the provider: so their
# anonymous traffic is limited per source address instead of per user.
SOURCE_DESCRIPTOR: list[Json] = [{"actions": [{"remote_address": {}}]}]
WEBHOOK_SERVICE = "/apextick.payments.v1.PaymentWebhookService/"


def _rate_limit(name: str, route_bucket: Json, user_bucket: Json, key: str = "user") -> Json:
    return {
        "@type": f"{API}.local_ratelimit.v3.LocalRateLimit",
        "stat_prefix": name,
        "token_bucket": route_bucket,
        "filter_enabled": _percent(),
        "filter_enforced": _percent(),
        "descriptors": [{"entries": [{"key": key}], "token_bucket": user_bucket}],
        "rate_limits": USER_DESCRIPTOR if key == "user" else SOURCE_DESCRIPTOR,
        "max_dynamic_descriptors": 100_000,
        "enable_x_ratelimit_headers": "DRAFT_VERSION_03",
        "rate_limited_as_resource_exhausted": True,
    }


def _limits(s: EdgeSettings, rpc: str) -> Json:
    if rpc == HOLD_RPC:
        return _rate_limit(
            "hold",
            _bucket(s.hold_route_per_second, s.hold_route_per_second),
            _bucket(s.hold_per_user_burst, s.hold_per_user_per_second),
        )
    if rpc.startswith(WEBHOOK_SERVICE):
        per_source = _bucket(s.webhook_per_source_burst, s.webhook_per_source_per_second)
        return _rate_limit("webhook", _bucket(50_000, 50_000), per_source, key="remote_address")
    return _rate_limit("api", _bucket(50_000, 50_000), _bucket(s.user_per_second * 2, s.user_per_second))


def rest_route(s: EdgeSettings, route: RestRoute) -> Json:
    per_filter: Json = {
        "envoy.filters.http.jwt_authn": {
            "@type": f"{API}.jwt_authn.v3.PerRouteConfig",
            "requirement_name": "public" if route.policy is CallerPolicy.PUBLIC else "signed_in",
        },
        "envoy.filters.http.local_ratelimit": _limits(s, route.rpc),
    }
    roles = ROLES_BY_POLICY.get(route.policy)
    if roles:
        per_filter["envoy.filters.http.rbac"] = _rbac_for(roles)
    extra: Json = {}
    if route.body_message:
        extra["metadata"] = {"filter_metadata": {LUA: {"body_message": route.body_message}}}
    else:
        per_filter[LUA] = LUA_OFF
    return {
        "name": f"{route.verb} {route.rpc}",
        "match": {
            "safe_regex": {"regex": route.regex},
            "headers": [{"name": ":method", "string_match": {"exact": route.verb}}],
        },
        "route": {
            "cluster": _upstream(s, route.rpc, route.cluster),
            "timeout": "0s" if route.streaming else "15s",
        },
        "typed_per_filter_config": per_filter,
        **extra,
    }


def _body_shape_filter(routes: list[RestRoute]) -> Json:
    shapes = shapes_for({route.body_message for route in routes if route.body_message})
    source = {"inline_string": lua_source(shapes)}
    return {"name": LUA, "typed_config": {"@type": f"{API}.lua.v3.Lua", "default_source_code": source}}


def _cors(s: EdgeSettings) -> Json:
    return {
        "@type": f"{API}.cors.v3.CorsPolicy",
        "allow_origin_string_match": [{"exact": s.web_origin}],
        "allow_methods": "GET, POST, PATCH, DELETE, OPTIONS",
        "allow_headers": "authorization, content-type, x-request-id",
        "expose_headers": "x-request-id, x-ratelimit-limit, x-ratelimit-remaining, x-ratelimit-reset",
        "max_age": "600",
    }


def _preflight() -> Json:
    """Browsers ask before cross-origin calls; the CORS filter answers for any /v1/ path."""
    return {
        "name": "cors preflight",
        "match": {"prefix": "/v1/", "headers": [{"name": ":method", "string_match": {"exact": "OPTIONS"}}]},
        # A real route (not a direct response): the CORS filter reads its policy through the route entry.
        "route": {"cluster": "booking", "timeout": "5s"},
        "typed_per_filter_config": {
            "envoy.filters.http.jwt_authn": {"@type": f"{API}.jwt_authn.v3.PerRouteConfig", "disabled": True},
            LUA: LUA_OFF,
        },
    }


# Filters of the API that a page or an asset of the web app never goes through.
WEB_SKIPS = ("envoy.filters.http.jwt_authn", "envoy.filters.http.rbac", "envoy.filters.http.local_ratelimit",
             "envoy.filters.http.buffer", LUA, "envoy.filters.http.grpc_json_transcoder")  # fmt: skip


def web_route() -> Json:
    """The web app from the same origin as the API, so browsers need no CORS: GET and HEAD of any path
    outside /v1/ go to its static server (which answers index.html for the app's own routes)."""
    off = {"@type": "type.googleapis.com/envoy.config.route.v3.FilterConfig", "disabled": True}
    return {
        "name": "web app",
        "match": {"prefix": "/", "headers": [
            {"name": ":path", "string_match": {"prefix": "/v1/"}, "invert_match": True},
            {"name": ":method", "string_match": {"safe_regex": {"regex": "GET|HEAD"}}},
        ]},
        "route": {"cluster": "web", "timeout": "15s"},
        "typed_per_filter_config": dict.fromkeys(WEB_SKIPS, off),
    }  # fmt: skip


def _connection_manager(
    name: str, routes: list[Json], filters: list[Json], extra: Json | None = None
) -> Json:
    config: Json = {
        "@type": HCM,
        "stat_prefix": name,
        "codec_type": "AUTO",
        "route_config": {"name": name, "virtual_hosts": [{"name": name, "domains": ["*"], "routes": routes,
                                                          **(extra or {})}]},
        "http_filters": [*filters, {"name": "envoy.filters.http.router",
                                    "typed_config": {"@type": f"{API}.router.v3.Router"}}],
        # Bounded waiting for everyone: a slow sender (headers, then body) is cut off, a stream with no
        # traffic in either direction ends (WatchSeatMap's heartbeat keeps a live one going), and an
        # idle connection is closed.
        "request_headers_timeout": "10s",
        "request_timeout": "30s",
        "stream_idle_timeout": "60s",
        "common_http_protocol_options": {"idle_timeout": "300s"},
        # The edge is the first hop: it records the client's address (last X-Forwarded-For entry).
        "use_remote_address": True,
    }  # fmt: skip
    return {"name": "envoy.filters.network.http_connection_manager", "typed_config": config}


def rest_listener(
    s: EdgeSettings, routes: list[RestRoute], descriptor_set: Path, services: list[str]
) -> Json:
    filters = [
        {"name": "envoy.filters.http.cors", "typed_config": {"@type": f"{API}.cors.v3.Cors"}},
        jwt_filter(s),
        {"name": "envoy.filters.http.rbac", "typed_config": {"@type": f"{API}.rbac.v3.RBAC"}},
        {"name": "envoy.filters.http.local_ratelimit",
         "typed_config": {"@type": f"{API}.local_ratelimit.v3.LocalRateLimit", "stat_prefix": "edge"}},
        {"name": "envoy.filters.http.buffer",
         "typed_config": {"@type": f"{API}.buffer.v3.Buffer", "max_request_bytes": s.max_body_bytes}},
        _body_shape_filter(routes),
        {"name": "envoy.filters.http.grpc_json_transcoder", "typed_config": {
            "@type": f"{API}.grpc_json_transcoder.v3.GrpcJsonTranscoder",
            "proto_descriptor": str(descriptor_set),
            "services": services,
            "match_incoming_request_route": True,
            "convert_grpc_status": True,
            "print_options": {"add_whitespace": False, "always_print_primitive_fields": True,
                              "preserve_proto_field_names": False, "stream_newline_delimited": True},
            "request_validation_options": {"reject_unknown_method": True,
                                           "reject_unknown_query_parameters": True},
        }},
    ]  # fmt: skip
    rest_routes = [_preflight(), *(rest_route(s, r) for r in routes)]
    if s.web_port is not None:
        rest_routes.append(web_route())
    extra = {"typed_per_filter_config": {"envoy.filters.http.cors": _cors(s)}}
    manager = _connection_manager("rest", rest_routes, filters, extra)
    manager["typed_config"]["local_reply_config"] = local_reply_config()
    return {
        "name": "rest",
        "address": _listening(s, s.rest_port),
        "filter_chains": [{"filters": [manager]}],
    }


def grpc_listener(s: EdgeSettings, clusters_by_service: dict[str, str]) -> Json:
    """Native gRPC for grpcurl, ghz and internal stubs: tokens checked (an absent one is the service's
    call, since public RPCs need none), the hold method rate limited with RESOURCE_EXHAUSTED."""
    public = {
        "envoy.filters.http.jwt_authn": {
            "@type": f"{API}.jwt_authn.v3.PerRouteConfig",
            "requirement_name": "public",
        }
    }
    routes = [
        {"name": "hold", "match": {"path": HOLD_RPC, "grpc": {}},
         "route": {"cluster": "booking", "timeout": "15s"},
         "typed_per_filter_config": {**public,
                                     "envoy.filters.http.local_ratelimit": _limits(s, HOLD_RPC)}},
        *([{"name": "seatmap", "match": {"path": WATCH_RPC, "grpc": {}},
            "route": {"cluster": "seatmap", "timeout": "0s"}, "typed_per_filter_config": public}]
          if s.seatmap_port is not None else []),
        *({"name": service, "match": {"prefix": f"/{service}/", "grpc": {}},
           "route": {"cluster": cluster, "timeout": "0s"}, "typed_per_filter_config": public}
          for service, cluster in sorted(clusters_by_service.items()) if cluster != "booking"),
        {"name": "grpc", "match": {"prefix": "/", "grpc": {}},
         "route": {"cluster": "booking", "timeout": "0s"}, "typed_per_filter_config": public},
    ]  # fmt: skip
    filters = [
        jwt_filter(s),
        {
            "name": "envoy.filters.http.local_ratelimit",
            "typed_config": {"@type": f"{API}.local_ratelimit.v3.LocalRateLimit", "stat_prefix": "edge_grpc"},
        },
    ]
    manager = _connection_manager("grpc", routes, filters)
    manager["typed_config"]["local_reply_config"] = grpc_local_reply_config()
    return {
        "name": "grpc",
        "address": _listening(s, s.grpc_port),
        "filter_chains": [{"filters": [manager]}],
    }


GET_ONLY = {"name": ":method", "string_match": {"exact": "GET"}}


def health_listener(s: EdgeSettings, port: int) -> Json:
    """`GET /ready` answers 200, or 503 once Envoy drains (SIGTERM, or the admin's /healthcheck/fail):
    the kubelet's readiness probe then takes the pod out of the Service before its listeners close.
    `GET /stats/prometheus` is the admin's metrics page, the one admin path served beyond loopback."""
    check = {"name": "envoy.filters.http.health_check", "typed_config": {
        "@type": f"{API}.health_check.v3.HealthCheck", "pass_through_mode": False,
        "headers": [{"name": ":path", "string_match": {"exact": "/ready"}}]}}  # fmt: skip
    routes = [
        {"match": {"path": "/stats/prometheus", "headers": [GET_ONLY]}, "route": {"cluster": "envoy_admin"}},
        {"match": {"prefix": "/"}, "direct_response": {"status": 404}},
    ]  # fmt: skip
    manager = _connection_manager("health", routes, [check])
    return {"name": "health", "address": _listening(s, port), "filter_chains": [{"filters": [manager]}]}


def bootstrap(
    s: EdgeSettings, routes: list[RestRoute], descriptor_set: Path, clusters_by_service: dict[str, str]
) -> Json:
    """`clusters_by_service` maps each gRPC service's full name to the upstream serving it."""
    services = sorted(clusters_by_service)
    return {
        "admin": {"address": socket_address("127.0.0.1", s.admin_port)},  # never beyond the host
        "static_resources": {
            "listeners": [
                rest_listener(s, routes, descriptor_set, services),
                grpc_listener(s, clusters_by_service),
                *([health_listener(s, s.health_port)] if s.health_port is not None else []),
            ],
            "clusters": [
                cluster("booking", s.booking_host, s.booking_port, *s.booking_extra_ports, grpc=True),
                cluster("notification", s.notification_host, s.notification_port, grpc=True),
                cluster("identity", s.identity_host, s.identity_port, grpc=False),
                *([cluster("web", s.web_host, s.web_port, grpc=False)] if s.web_port is not None else []),
                *([seatmap_cluster(s.seatmap_host, s.seatmap_port)] if s.seatmap_port is not None else []),
                *([cluster("envoy_admin", "127.0.0.1", s.admin_port, grpc=False)] if s.health_port else []),
            ],
        },
    }
