"""Caller policies read from the contract: each RPC's `(apextick.auth.v1.caller)` method option."""

from __future__ import annotations

from collections.abc import Iterable

from apextick.auth.v1 import policy_pb2
from google.protobuf.descriptor import ServiceDescriptor

from apextick_platform.identity import CallerPolicy


def policies_of(services: Iterable[ServiceDescriptor]) -> dict[str, CallerPolicy]:
    """Map `/package.Service/Method` to its declared policy; undeclared methods map to UNSPECIFIED,
    which `authorize` refuses (fail closed)."""
    table: dict[str, CallerPolicy] = {}
    for service in services:
        for method in service.methods:
            declared = method.GetOptions().Extensions[policy_pb2.caller]
            table[f"/{service.full_name}/{method.name}"] = CallerPolicy(declared)
    return table
