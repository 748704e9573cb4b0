"""Retry safety for mutations: the first outcome of a request_id is the only one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from apextick_platform.errors import DomainError, ErrorCode
from apextick_platform.identity import Principal
from booking.service_layer.ports import IdempotencyKey, UnitOfWork


@dataclass(frozen=True)
class RequestKey:
    """What the entrypoint knows of a request: its id and a fingerprint of everything else in it."""

    request_id: str
    fingerprint: bytes


async def run_once(
    uow: UnitOfWork,
    principal: Principal,
    operation: str,
    request: RequestKey,
    action: Callable[[], Awaitable[str]],
) -> str:
    """Run ``action`` unless this caller already ran this request; return the first run's result.

    The key row is inserted before the action inside the same transaction, so a concurrent duplicate
    waits on the row lock and then replays the committed outcome instead of acting twice. A failed
    first attempt rolled its key back with everything else, so retrying it runs again.
    """
    key = IdempotencyKey(principal.subject, operation, request.request_id)
    replay = await uow.idempotency.begin(key, request.fingerprint)
    if replay is not None:
        if replay.fingerprint != request.fingerprint:
            raise DomainError(
                ErrorCode.REQUEST_ID_REUSED,
                "this request_id was used for a different request",
                metadata={"request_id": request.request_id},
            )
        return replay.result
    result = await action()
    await uow.idempotency.finish(key, result)
    return result
