"""Envoy's own answers in the services' shape: every error the edge makes itself (no route, a body or
headers too large, a malformed or mistyped body, a missing or bad token, a missing role, a rate limit,
an unreachable or slow upstream) is a JSON `google.rpc.Status` with one `ErrorInfo` whose reason is
from `apextick.errors.v1.ErrorReason`, exactly like an error a service sends through the transcoder.

These mappers act on local replies only: what an upstream answers (a service's rich status, converted
by the transcoder) passes untouched."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2

from apextick_platform.errors import ErrorCode

Json = dict[str, Any]
ERROR_DOMAIN = "apextick.dev"
ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo"


@dataclass(frozen=True)
class Reply:
    http_status: int
    grpc_code: int  # google.rpc.Code
    reason: ErrorCode
    only_with_authorization: bool | None = None  # 401: a token sent (TOKEN_INVALID) or none (MISSING)


# google.rpc.Code values (code.proto): the JSON Status carries the number, as the transcoder's do.
INVALID_ARGUMENT, DEADLINE_EXCEEDED, NOT_FOUND, PERMISSION_DENIED = 3, 4, 5, 7
RESOURCE_EXHAUSTED, UNAVAILABLE, UNAUTHENTICATED = 8, 14, 16

REPLIES = (
    Reply(400, INVALID_ARGUMENT, ErrorCode.INVALID_ARGUMENT),
    Reply(401, UNAUTHENTICATED, ErrorCode.TOKEN_INVALID, only_with_authorization=True),
    Reply(401, UNAUTHENTICATED, ErrorCode.TOKEN_MISSING, only_with_authorization=False),
    Reply(403, PERMISSION_DENIED, ErrorCode.ACCESS_DENIED),
    Reply(404, NOT_FOUND, ErrorCode.ROUTE_NOT_FOUND),
    Reply(408, DEADLINE_EXCEEDED, ErrorCode.DEADLINE_EXCEEDED),
    Reply(413, INVALID_ARGUMENT, ErrorCode.REQUEST_TOO_LARGE),
    Reply(429, RESOURCE_EXHAUSTED, ErrorCode.RATE_LIMITED),
    Reply(431, INVALID_ARGUMENT, ErrorCode.HEADERS_TOO_LARGE),
    Reply(500, UNAVAILABLE, ErrorCode.UNAVAILABLE),
    Reply(502, UNAVAILABLE, ErrorCode.UNAVAILABLE),
    Reply(503, UNAVAILABLE, ErrorCode.UNAVAILABLE),
    Reply(504, DEADLINE_EXCEEDED, ErrorCode.DEADLINE_EXCEEDED),
)


def _filter(reply: Reply) -> Json:
    status = {"status_code_filter": {"comparison": {"op": "EQ", "value": {
        "default_value": reply.http_status, "runtime_key": "unused"}}}}  # fmt: skip
    if reply.only_with_authorization is None:
        return status
    present: Json = {"header_filter": {"header": {"name": "authorization", "present_match": True}}}
    if not reply.only_with_authorization:
        present = {"header_filter": {"header": {"name": "authorization", "present_match": True,
                                                "invert_match": True}}}  # fmt: skip
    return {"and_filter": {"filters": [status, present]}}


def _body(reply: Reply) -> Json:
    info = {"@type": ERROR_INFO, "reason": reply.reason.value, "domain": ERROR_DOMAIN,
            "metadata": {"request_id": "%REQ(X-REQUEST-ID)%"}}  # fmt: skip
    # Envoy's own text (e.g. "Jwt is missing", "local_rate_limited"), never a service's exception.
    return {"json_format": {"code": reply.grpc_code, "message": "%LOCAL_REPLY_BODY%", "details": [info]},
            "content_type": "application/json"}  # fmt: skip


def local_reply_config() -> Json:
    """For the REST listener: the reply's body becomes the JSON Status."""
    mappers = [{"filter": _filter(reply), "body_format_override": _body(reply)} for reply in REPLIES]
    return {"mappers": mappers}


def _status_details(reply: Reply) -> str:
    """The binary google.rpc.Status gRPC clients read from `grpc-status-details-bin` (base64 in a
    header, as gRPC's HTTP/2 mapping carries binary metadata)."""
    info = error_details_pb2.ErrorInfo(reason=reply.reason.value, domain=ERROR_DOMAIN)
    packed = any_pb2.Any()
    packed.Pack(info)
    status = status_pb2.Status(code=reply.grpc_code, message=reply.reason.value, details=[packed])
    return base64.b64encode(status.SerializeToString()).decode().rstrip("=")


def grpc_local_reply_config() -> Json:
    """For the native gRPC listener: Envoy answers a gRPC request trailers-only with grpc-status; the
    same ErrorInfo reason rides along in grpc-status-details-bin."""
    mappers = [
        {
            "filter": _filter(reply),
            "headers_to_add": [{"header": {"key": "grpc-status-details-bin", "value": _status_details(reply)},
                                "append_action": "OVERWRITE_IF_EXISTS_OR_ADD"}],
        }
        for reply in REPLIES
    ]  # fmt: skip
    return {"mappers": mappers}
