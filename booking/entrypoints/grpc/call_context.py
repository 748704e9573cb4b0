"""What a servicer may know about the current call, set by the interceptor for the call's task."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

from booking.domain.errors import DomainError, ErrorCode
from booking.domain.identity import Principal


@dataclass(frozen=True)
class Call:
    request_id: str
    principal: Principal | None


_CURRENT: ContextVar[Call] = ContextVar("apextick_call")


def begin(call: Call) -> None:
    _CURRENT.set(call)


def current() -> Call:
    return _CURRENT.get()


def principal() -> Principal | None:
    return _CURRENT.get().principal


def signed_in() -> Principal:
    """The caller of a non-public RPC; the interceptor has already refused anonymous calls."""
    who = _CURRENT.get().principal
    if who is None:
        raise DomainError(ErrorCode.TOKEN_MISSING, "a bearer token is required")
    return who
