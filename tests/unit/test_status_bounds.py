"""A status always fits gRPC's default 16 KiB metadata limit: a request with thousands of faults, or a
very long text, is answered with its reason, not RESOURCE_EXHAUSTED "metadata size exceeds hard limit"."""

from __future__ import annotations

import grpc
from google.rpc import error_details_pb2, status_pb2

from apextick_platform.errors import DomainError, ErrorCode, FieldViolation
from apextick_platform.grpc.status import MAX_VIOLATIONS, to_status

METADATA_LIMIT = 16 * 1024


def trailer_bytes(status: grpc.Status) -> int:
    pairs: tuple[tuple[str, str | bytes], ...] = status.trailing_metadata
    return sum(len(key) + len(value) for key, value in pairs) + len(status.details)


def test_thousands_of_violations_are_cut_to_the_first_and_a_count() -> None:
    violations = [
        FieldViolation(f"sections[0].rows[{i}].label", "must not be empty " * 5) for i in range(5000)
    ]
    error = DomainError(ErrorCode.INVALID_ARGUMENT, "the seat map is invalid " * 200, violations=violations,
                        metadata={"seats": ",".join(f"main-A-{i}" for i in range(3000))})  # fmt: skip
    status = to_status(error)
    assert trailer_bytes(status) < METADATA_LIMIT // 2
    raw = dict(status.trailing_metadata)["grpc-status-details-bin"]
    decoded = status_pb2.Status.FromString(raw)
    bad = error_details_pb2.BadRequest()
    decoded.details[1].Unpack(bad)
    assert len(bad.field_violations) == MAX_VIOLATIONS + 1
    assert bad.field_violations[-1].description == f"and {5000 - MAX_VIOLATIONS} more violations"
    info = error_details_pb2.ErrorInfo()
    decoded.details[0].Unpack(info)
    assert info.reason == "INVALID_ARGUMENT"
    assert len(info.metadata["seats"]) <= 512
