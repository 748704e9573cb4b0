"""The one table that turns domain errors into gRPC statuses with google.rpc.ErrorInfo."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from apextick_platform.errors import DomainError, ErrorCode, FieldViolation

ERROR_DOMAIN = "apextick.dev"

STATUS_BY_CODE: dict[ErrorCode, grpc.StatusCode] = {
    ErrorCode.INVALID_ARGUMENT: grpc.StatusCode.INVALID_ARGUMENT,
    ErrorCode.TOKEN_MISSING: grpc.StatusCode.UNAUTHENTICATED,
    ErrorCode.TOKEN_INVALID: grpc.StatusCode.UNAUTHENTICATED,
    ErrorCode.ROLE_REQUIRED: grpc.StatusCode.PERMISSION_DENIED,
    ErrorCode.VENUE_NOT_FOUND: grpc.StatusCode.NOT_FOUND,
    ErrorCode.SEAT_MAP_NOT_FOUND: grpc.StatusCode.NOT_FOUND,
    ErrorCode.EVENT_NOT_FOUND: grpc.StatusCode.NOT_FOUND,
    ErrorCode.PRICE_TIER_NOT_FOUND: grpc.StatusCode.NOT_FOUND,
    ErrorCode.EVENT_NOT_DRAFT: grpc.StatusCode.FAILED_PRECONDITION,
    ErrorCode.EVENT_CLOSED: grpc.StatusCode.FAILED_PRECONDITION,
    ErrorCode.TIERS_INCOMPLETE: grpc.StatusCode.FAILED_PRECONDITION,
    ErrorCode.SEAT_MAP_IN_USE: grpc.StatusCode.FAILED_PRECONDITION,
    ErrorCode.REQUEST_ID_REUSED: grpc.StatusCode.FAILED_PRECONDITION,
    ErrorCode.PRICE_TIER_EXISTS: grpc.StatusCode.ALREADY_EXISTS,
    ErrorCode.SCHEDULE_INVALID: grpc.StatusCode.INVALID_ARGUMENT,
    ErrorCode.PAGE_TOKEN_INVALID: grpc.StatusCode.INVALID_ARGUMENT,
    ErrorCode.UNAVAILABLE: grpc.StatusCode.UNAVAILABLE,
    ErrorCode.INTERNAL: grpc.StatusCode.INTERNAL,
    ErrorCode.SEAT_UNAVAILABLE: grpc.StatusCode.ABORTED,
    ErrorCode.SALE_NOT_OPEN: grpc.StatusCode.FAILED_PRECONDITION,
    ErrorCode.SEAT_NOT_FOUND: grpc.StatusCode.NOT_FOUND,
    ErrorCode.TOO_MANY_SEATS: grpc.StatusCode.INVALID_ARGUMENT,
    ErrorCode.SEAT_LIMIT_REACHED: grpc.StatusCode.FAILED_PRECONDITION,
    ErrorCode.HOLD_NOT_FOUND: grpc.StatusCode.NOT_FOUND,
    ErrorCode.HOLD_NOT_ACTIVE: grpc.StatusCode.FAILED_PRECONDITION,
    ErrorCode.SEATS_BUSY: grpc.StatusCode.UNAVAILABLE,
    ErrorCode.ORDER_NOT_FOUND: grpc.StatusCode.NOT_FOUND,
    ErrorCode.ORDER_NOT_PENDING: grpc.StatusCode.FAILED_PRECONDITION,
    ErrorCode.HOLD_CHECKED_OUT: grpc.StatusCode.FAILED_PRECONDITION,
    ErrorCode.PROVIDER_NOT_SUPPORTED: grpc.StatusCode.FAILED_PRECONDITION,
    ErrorCode.PROVIDER_UNAVAILABLE: grpc.StatusCode.UNAVAILABLE,
    ErrorCode.WEBHOOK_SIGNATURE_INVALID: grpc.StatusCode.INVALID_ARGUMENT,
    ErrorCode.WEBHOOK_PAYLOAD_INVALID: grpc.StatusCode.INVALID_ARGUMENT,
    ErrorCode.WEBHOOK_UNKNOWN_ORDER: grpc.StatusCode.INVALID_ARGUMENT,
    ErrorCode.PAYMENT_MISMATCH: grpc.StatusCode.INVALID_ARGUMENT,
    ErrorCode.TICKET_NOT_FOUND: grpc.StatusCode.NOT_FOUND,
    ErrorCode.TICKET_PDF_NOT_READY: grpc.StatusCode.UNAVAILABLE,
    ErrorCode.RESEND_LIMITED: grpc.StatusCode.RESOURCE_EXHAUSTED,
    ErrorCode.GATE_NOT_FOUND: grpc.StatusCode.NOT_FOUND,
    ErrorCode.SCAN_NONCE_REUSED: grpc.StatusCode.FAILED_PRECONDITION,
    ErrorCode.TICKET_CODE_MALFORMED: grpc.StatusCode.INVALID_ARGUMENT,
    ErrorCode.TICKET_CODE_KEY_UNKNOWN: grpc.StatusCode.INVALID_ARGUMENT,
    ErrorCode.ORDER_NOT_PAID: grpc.StatusCode.FAILED_PRECONDITION,
    ErrorCode.ORDER_ALREADY_REFUNDED: grpc.StatusCode.FAILED_PRECONDITION,
    ErrorCode.REFUND_NOT_ALLOWED: grpc.StatusCode.FAILED_PRECONDITION,
    ErrorCode.REFUND_WINDOW_CLOSED: grpc.StatusCode.FAILED_PRECONDITION,
    ErrorCode.USER_NOT_FOUND: grpc.StatusCode.NOT_FOUND,
    ErrorCode.SELF_CHANGE_REFUSED: grpc.StatusCode.FAILED_PRECONDITION,
    ErrorCode.IDENTITY_UNAVAILABLE: grpc.StatusCode.UNAVAILABLE,
    ErrorCode.QUEUE_CLOSED: grpc.StatusCode.FAILED_PRECONDITION,
    ErrorCode.QUEUE_ALREADY_JOINED: grpc.StatusCode.ALREADY_EXISTS,
    ErrorCode.QUEUE_PASS_REQUIRED: grpc.StatusCode.FAILED_PRECONDITION,
    ErrorCode.QUEUE_PASS_INVALID: grpc.StatusCode.PERMISSION_DENIED,
    ErrorCode.QUEUE_PASS_WRONG_EVENT: grpc.StatusCode.PERMISSION_DENIED,
    ErrorCode.QUEUE_PASS_WRONG_USER: grpc.StatusCode.PERMISSION_DENIED,
    ErrorCode.QUEUE_PASS_EXPIRED: grpc.StatusCode.FAILED_PRECONDITION,
    ErrorCode.QUEUE_PASS_USED: grpc.StatusCode.FAILED_PRECONDITION,
    ErrorCode.ROUTE_NOT_FOUND: grpc.StatusCode.NOT_FOUND,
    ErrorCode.REQUEST_TOO_LARGE: grpc.StatusCode.INVALID_ARGUMENT,
    ErrorCode.HEADERS_TOO_LARGE: grpc.StatusCode.INVALID_ARGUMENT,
    ErrorCode.RATE_LIMITED: grpc.StatusCode.RESOURCE_EXHAUSTED,
    ErrorCode.ACCESS_DENIED: grpc.StatusCode.PERMISSION_DENIED,
    ErrorCode.DEADLINE_EXCEEDED: grpc.StatusCode.DEADLINE_EXCEEDED,
    ErrorCode.STREAM_BEHIND: grpc.StatusCode.ABORTED,
}


def _pack(message: error_details_pb2.ErrorInfo | error_details_pb2.BadRequest) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)
    return packed


@dataclass(frozen=True)
class _Status(grpc.Status):
    code: grpc.StatusCode
    details: str
    trailing_metadata: tuple[tuple[str, str | bytes], ...]


# The whole status travels in one gRPC trailer (grpc-status-details-bin, base64) and the message in
# another; gRPC's default limit for all metadata is 16 KiB, and past it the client sees RESOURCE_EXHAUSTED
# "received metadata size exceeds hard limit" instead of the error. So the details are bounded: the first
# violations and a count, short texts. (Base64 grows the status by a third: 8 KiB of it is under 11 KiB.)
MAX_VIOLATIONS = 20
MAX_TEXT = 300
MAX_METADATA_VALUE = 512


def _clip(text: str, limit: int = MAX_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _bad_request(violations: tuple[FieldViolation, ...]) -> error_details_pb2.BadRequest:
    shown = [
        error_details_pb2.BadRequest.FieldViolation(field=_clip(v.field), description=_clip(v.description))
        for v in violations[:MAX_VIOLATIONS]
    ]
    hidden = len(violations) - len(shown)
    if hidden > 0:
        shown.append(
            error_details_pb2.BadRequest.FieldViolation(field="", description=f"and {hidden} more violations")
        )
    return error_details_pb2.BadRequest(field_violations=shown)


def to_status(error: DomainError, extra_metadata: tuple[tuple[str, str], ...] = ()) -> grpc.Status:
    """Exactly one ErrorInfo; a BadRequest as well when fields are at fault; small enough for any
    client's metadata limit whatever the request was. `extra_metadata` (the request id) is added to a
    status built once per distinct error (see _built)."""
    built = _built(error.code, error.message, tuple(error.metadata.items()), error.violations)
    if not extra_metadata:
        return built
    return _Status(built.code, built.details, built.trailing_metadata + extra_metadata)


# Building a status (two protobuf messages packed into Any, serialized, base64'd into a trailer) cost
# about 50 µs per refusal under flash-sale load, a fifth of what a loser's answer costs the server; the
# losers of one seat all get the same error, so it is built once and kept (bounded, least recently used).
@functools.lru_cache(maxsize=2048)
def _built(
    code: ErrorCode,
    message: str,
    metadata_items: tuple[tuple[str, str], ...],
    violations: tuple[FieldViolation, ...],
) -> _Status:
    metadata = {_clip(k, 64): _clip(v, MAX_METADATA_VALUE) for k, v in metadata_items}
    details = [_pack(error_details_pb2.ErrorInfo(reason=code.value, domain=ERROR_DOMAIN, metadata=metadata))]
    if violations:
        details.append(_pack(_bad_request(violations)))
    grpc_code = STATUS_BY_CODE[code]
    status = status_pb2.Status(
        code=getattr(code_pb2, grpc_code.name), message=_clip(message), details=details
    )
    plain = rpc_status.to_status(status)
    return _Status(plain.code, plain.details, tuple(plain.trailing_metadata))


def internal_error(request_id: str) -> DomainError:
    """What a caller sees of an unexpected failure: a code and a request id, never a stack trace."""
    return DomainError(
        ErrorCode.INTERNAL,
        f"internal error; quote request id {request_id}",
        metadata={"request_id": request_id},
    )
