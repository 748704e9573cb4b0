"""Typed errors for SDK users: the service's ErrorInfo reason, mapped back from the gRPC status."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import grpc
from google.rpc import error_details_pb2, status_pb2

STATUS_DETAILS_KEY = "grpc-status-details-bin"


@dataclass(frozen=True)
class ApexTickError(Exception):
    """A failed call: the gRPC code, the stable reason (e.g. SEAT_UNAVAILABLE) and its metadata."""

    code: grpc.StatusCode
    reason: str
    message: str
    metadata: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.code.name} {self.reason}: {self.message}"


def from_rpc_error(error: grpc.RpcError) -> ApexTickError:
    """Decode google.rpc.Status details; a call that carries none gets its code's name as reason."""
    call: Any = error
    trailers = call.trailing_metadata() or ()
    raw = next((value for key, value in trailers if key == STATUS_DETAILS_KEY), None)
    reason, metadata = call.code().name, {}
    if isinstance(raw, bytes):
        for detail in status_pb2.Status.FromString(raw).details:
            if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                detail.Unpack(info)
                reason, metadata = info.reason, dict(info.metadata)
    return ApexTickError(call.code(), reason, call.details() or "", metadata)
