"""What a servicer (and the log formatter) may know about the current call, set by the call pipeline
for the call's task."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

from apextick_platform.errors import DomainError, ErrorCode
from apextick_platform.identity import Principal


@dataclass(frozen=True)
class Call:
    request_id: str
    principal: Principal | None


_CURRENT: ContextVar[Call] = ContextVar("apextick_call")
_NO_CALL = Call("", None)


def begin(call: Call) -> None:
    _CURRENT.set(call)


def current() -> Call:
    return _CURRENT.get()


def request_id() -> str:
    """The current call's request id; empty outside a call (workers, start-up)."""
    return _CURRENT.get(_NO_CALL).request_id


def principal() -> Principal | None:
    return _CURRENT.get().principal


def signed_in() -> Principal:
    """The caller of a non-public RPC; the pipeline has already refused anonymous calls."""
    who = _CURRENT.get().principal
    if who is None:
        raise DomainError(ErrorCode.TOKEN_MISSING, "a bearer token is required")
    return who
