"""Domain errors carry a stable code; each edge translates them exactly once (see entrypoints)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum


class ErrorCode(StrEnum):
    """Stable reasons, mirrored by ``apextick.errors.v1.ErrorReason`` (a test keeps them in step)."""

    INVALID_ARGUMENT = "INVALID_ARGUMENT"
    TOKEN_MISSING = "TOKEN_MISSING"  # noqa: S105 - an error code, not a secret
    TOKEN_INVALID = "TOKEN_INVALID"  # noqa: S105 - an error code, not a secret
    ROLE_REQUIRED = "ROLE_REQUIRED"
    VENUE_NOT_FOUND = "VENUE_NOT_FOUND"
    SEAT_MAP_NOT_FOUND = "SEAT_MAP_NOT_FOUND"
    EVENT_NOT_FOUND = "EVENT_NOT_FOUND"
    PRICE_TIER_NOT_FOUND = "PRICE_TIER_NOT_FOUND"
    EVENT_NOT_DRAFT = "EVENT_NOT_DRAFT"
    EVENT_CLOSED = "EVENT_CLOSED"
    TIERS_INCOMPLETE = "TIERS_INCOMPLETE"
    SEAT_MAP_IN_USE = "SEAT_MAP_IN_USE"
    REQUEST_ID_REUSED = "REQUEST_ID_REUSED"
    PRICE_TIER_EXISTS = "PRICE_TIER_EXISTS"
    SCHEDULE_INVALID = "SCHEDULE_INVALID"
    PAGE_TOKEN_INVALID = "PAGE_TOKEN_INVALID"  # noqa: S105 - an error code, not a secret
    UNAVAILABLE = "UNAVAILABLE"
    INTERNAL = "INTERNAL"
    SEAT_UNAVAILABLE = "SEAT_UNAVAILABLE"
    SALE_NOT_OPEN = "SALE_NOT_OPEN"
    SEAT_NOT_FOUND = "SEAT_NOT_FOUND"
    TOO_MANY_SEATS = "TOO_MANY_SEATS"
    SEAT_LIMIT_REACHED = "SEAT_LIMIT_REACHED"
    HOLD_NOT_FOUND = "HOLD_NOT_FOUND"
    HOLD_NOT_ACTIVE = "HOLD_NOT_ACTIVE"
    SEATS_BUSY = "SEATS_BUSY"
    ORDER_NOT_FOUND = "ORDER_NOT_FOUND"
    ORDER_NOT_PENDING = "ORDER_NOT_PENDING"
    HOLD_CHECKED_OUT = "HOLD_CHECKED_OUT"
    PROVIDER_NOT_SUPPORTED = "PROVIDER_NOT_SUPPORTED"
    PROVIDER_UNAVAILABLE = "PROVIDER_UNAVAILABLE"
    WEBHOOK_SIGNATURE_INVALID = "WEBHOOK_SIGNATURE_INVALID"
    WEBHOOK_PAYLOAD_INVALID = "WEBHOOK_PAYLOAD_INVALID"
    WEBHOOK_UNKNOWN_ORDER = "WEBHOOK_UNKNOWN_ORDER"
    PAYMENT_MISMATCH = "PAYMENT_MISMATCH"
    TICKET_NOT_FOUND = "TICKET_NOT_FOUND"
    TICKET_PDF_NOT_READY = "TICKET_PDF_NOT_READY"
    RESEND_LIMITED = "RESEND_LIMITED"
    GATE_NOT_FOUND = "GATE_NOT_FOUND"
    SCAN_NONCE_REUSED = "SCAN_NONCE_REUSED"
    TICKET_CODE_MALFORMED = "TICKET_CODE_MALFORMED"
    TICKET_CODE_KEY_UNKNOWN = "TICKET_CODE_KEY_UNKNOWN"
    ORDER_NOT_PAID = "ORDER_NOT_PAID"
    ORDER_ALREADY_REFUNDED = "ORDER_ALREADY_REFUNDED"
    REFUND_NOT_ALLOWED = "REFUND_NOT_ALLOWED"
    REFUND_WINDOW_CLOSED = "REFUND_WINDOW_CLOSED"
    USER_NOT_FOUND = "USER_NOT_FOUND"
    SELF_CHANGE_REFUSED = "SELF_CHANGE_REFUSED"
    IDENTITY_UNAVAILABLE = "IDENTITY_UNAVAILABLE"
    QUEUE_CLOSED = "QUEUE_CLOSED"
    QUEUE_ALREADY_JOINED = "QUEUE_ALREADY_JOINED"
    QUEUE_PASS_REQUIRED = "QUEUE_PASS_REQUIRED"  # noqa: S105 - a reason code, not a secret
    QUEUE_PASS_INVALID = "QUEUE_PASS_INVALID"  # noqa: S105 - a reason code, not a secret
    QUEUE_PASS_WRONG_EVENT = "QUEUE_PASS_WRONG_EVENT"  # noqa: S105 - a reason code, not a secret
    QUEUE_PASS_WRONG_USER = "QUEUE_PASS_WRONG_USER"  # noqa: S105 - a reason code, not a secret
    QUEUE_PASS_EXPIRED = "QUEUE_PASS_EXPIRED"  # noqa: S105 - a reason code, not a secret
    QUEUE_PASS_USED = "QUEUE_PASS_USED"  # noqa: S105 - a reason code, not a secret
    # Answered by the edge itself (Envoy's local replies), never by a service.
    ROUTE_NOT_FOUND = "ROUTE_NOT_FOUND"
    REQUEST_TOO_LARGE = "REQUEST_TOO_LARGE"
    HEADERS_TOO_LARGE = "HEADERS_TOO_LARGE"
    RATE_LIMITED = "RATE_LIMITED"
    ACCESS_DENIED = "ACCESS_DENIED"
    DEADLINE_EXCEEDED = "DEADLINE_EXCEEDED"
    STREAM_BEHIND = "STREAM_BEHIND"


@dataclass(frozen=True)
class FieldViolation:
    """One bad field: a dotted path in the request and what is wrong with it."""

    field: str
    description: str


class DomainError(Exception):
    """A rule said no. Nothing was written: the unit of work rolls back on any exception."""

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        *,
        violations: Iterable[FieldViolation] = (),
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.violations = tuple(violations)
        self.metadata = dict(metadata or {})


def invalid(field: str, description: str) -> DomainError:
    """Shorthand for the common single-field INVALID_ARGUMENT."""
    return DomainError(
        ErrorCode.INVALID_ARGUMENT,
        f"{field}: {description}",
        violations=[FieldViolation(field, description)],
    )


def require(values: Mapping[str, object]) -> None:
    """Every named value must be set (non-empty, non-zero); otherwise one violation per missing field."""
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise DomainError(
            ErrorCode.INVALID_ARGUMENT,
            f"required fields are missing: {', '.join(missing)}",
            violations=[FieldViolation(name, "is required") for name in missing],
        )
