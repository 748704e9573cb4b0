"""REST routes read off the contracts: method, path regex, and who may call."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from apextick.auth.v1 import policy_pb2
from google.api import annotations_pb2, http_pb2
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor

from apextick_platform.identity import CallerPolicy
from edge.body_shapes import body_message

_VARIABLE = re.compile(r"\{([a-z_.]+)(?:=([^}]*))?\}")


@dataclass(frozen=True)
class RestRoute:
    rpc: str  # /package.Service/Method
    verb: str  # GET, POST, ...
    regex: str  # the path, anchored
    policy: CallerPolicy
    streaming: bool
    cluster: str = "booking"  # the upstream serving the RPC's service
    body_message: str | None = None  # the JSON body's message, when it must carry lists (body_shapes)


def _segment_regex(pattern: str) -> str:
    parts = []
    for segment in pattern.split("/"):
        if segment == "**":
            parts.append(".+")
        elif segment == "*":
            parts.append("[^/]+")
        else:
            parts.append(re.escape(segment))
    return "/".join(parts)


def path_regex(template: str) -> str:
    """`/v1/{name=events/*}:publish` -> `^/v1/events/[^/]+:publish$` (AIP-127 path templates)."""
    out, last = [], 0
    for match in _VARIABLE.finditer(template):
        out.append(re.escape(template[last : match.start()]))
        out.append(_segment_regex(match.group(2) or "*"))
        last = match.end()
    out.append(re.escape(template[last:]))
    return "^" + "".join(out) + "$"


def _binding(rule: http_pb2.HttpRule) -> tuple[str, str] | None:
    kind = rule.WhichOneof("pattern")
    if kind is None or kind == "custom":
        return None
    return kind.upper(), getattr(rule, kind)


def rest_routes(services: Iterable[ServiceDescriptor], cluster: str = "booking") -> list[RestRoute]:
    routes = []
    for service in services:
        for method in service.methods:
            routes += _routes_of(service, method, cluster)
    return routes


def _routes_of(service: ServiceDescriptor, method: MethodDescriptor, cluster: str) -> list[RestRoute]:
    options = method.GetOptions()
    if not options.HasExtension(annotations_pb2.http):
        return []
    rule = options.Extensions[annotations_pb2.http]
    policy = CallerPolicy(options.Extensions[policy_pb2.caller])
    routes = []
    for binding in [rule, *rule.additional_bindings]:
        verb_path = _binding(binding)
        if verb_path is not None:
            verb, path = verb_path
            routes.append(
                RestRoute(
                    f"/{service.full_name}/{method.name}",
                    verb,
                    path_regex(path),
                    policy,
                    method.server_streaming,
                    cluster,
                    body_message(method, binding),
                )
            )
    return routes
