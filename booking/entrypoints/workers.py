"""The booking worker process: the expiry layers that need a loop (the third layer, a claim taking a
HELD seat whose time has passed, lives in the claim itself) and payment reconciliation."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict

from prometheus_client import CollectorRegistry, Counter
from redis.asyncio import Redis

from apextick_platform.probes import Readiness
from booking.adapters.redis_seats import expired_holds
from booking.service_layer.hold_use_cases import HoldUseCases
from booking.service_layer.payment_use_cases import PaymentUseCases, ReconcileReport
from booking.service_layer.refund_use_cases import RefundUseCases
from booking.service_layer.waiting_room_use_cases import WaitingRoomUseCases

log = logging.getLogger(__name__)


class WorkerMetrics:
    """Holds released by each expiry layer, and failed rounds of each task."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.released = Counter(
            "apextick_expiry_releases",
            "Holds released by an expiry layer (redis_event: the key's expiry; sweeper: PostgreSQL)",
            ["layer"],
            registry=registry,
        )
        self.failures = Counter(
            "apextick_worker_failures", "Failed rounds of a worker task", ["task"], registry=registry
        )


async def expiry_listener(
    redis: Redis,
    holds: HoldUseCases,
    ready: asyncio.Event | None = None,
    metrics: WorkerMetrics | None = None,
) -> None:
    """Layer 1: release a hold as soon as Redis reports its key expired. Reconnects forever."""
    while True:
        try:
            async for hold_id in expired_holds(redis, ready):
                expired = await holds.expire_hold(hold_id)
                if expired is not None:
                    log.info("hold expired", extra={"hold": str(hold_id), "seats": len(expired.seats)})
                    if metrics is not None:
                        metrics.released.labels("redis_event").inc()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("expiry listener lost Redis; reconnecting", exc_info=True)
            if metrics is not None:
                metrics.failures.labels("expiry_listener").inc()
            await asyncio.sleep(1.0)


async def every(
    interval: float, task: str, turn: Callable[[], Awaitable[None]], metrics: WorkerMetrics | None = None
) -> None:
    """`turn` once every `interval` seconds, forever: a failed turn is logged and counted, and the next
    one still comes (a task that stopped on one error would stop expiring holds for good)."""
    while True:
        try:
            await turn()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("worker turn failed", extra={"task": task}, exc_info=True)
            if metrics is not None:
                metrics.failures.labels(task).inc()
        await asyncio.sleep(interval)


async def expiry_sweeper(holds: HoldUseCases, interval: float, metrics: WorkerMetrics | None = None) -> None:
    """Layer 2: release every hold past its time in PostgreSQL, whatever happened to Redis."""

    async def sweep() -> None:
        swept = await holds.sweep()
        if swept:
            log.info("swept expired holds", extra={"count": swept})
            if metrics is not None:
                metrics.released.labels("sweeper").inc(swept)

    await every(interval, "expiry_sweeper", sweep, metrics)


async def dependency_watch(
    probes: Readiness, checks: Mapping[str, Callable[[], Awaitable[object]]], interval: float
) -> None:
    """Every `interval`, each dependency asked once (a bounded wait), for the readiness probe."""
    while True:
        for name, check in checks.items():
            try:
                async with asyncio.timeout(interval):
                    await check()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - unreachable, whatever the driver says: not ready
                probes.mark(name, up=False)
            else:
                probes.mark(name, up=True)
        await asyncio.sleep(interval)


async def payment_reconciler(
    payments: PaymentUseCases, refunds: RefundUseCases, interval: float, metrics: WorkerMetrics | None = None
) -> None:
    """Asks providers about pending orders past their window, closes sessions of ended orders, retries
    refunds and finishes cancellations' refunds: a lost webhook never leaves a paid order unconfirmed
    (invariant I4), and a cancelled event keeps no paid order."""

    async def reconcile() -> None:
        await refunds.reconcile()
        report = await payments.reconcile()
        if report != ReconcileReport():
            log.info("reconciled payments", extra=asdict(report))

    await every(interval, "payment_reconciler", reconcile, metrics)


async def waiting_room_door(
    rooms: WaitingRoomUseCases,
    interval: float = 1.0,
    repair_every: int = 5,
    metrics: WorkerMetrics | None = None,
) -> None:
    """Turns every queued event's door once a second: opens what is due (the shuffle, the reveal),
    admits one batch per open room at its rate, sends lapsed passes' holders to the back; every few
    turns, rebuilds Redis's mirror of a line wherever it disagrees with PostgreSQL (after a Redis
    restart, within seconds). Several workers may run: each room's turn runs under its row lock."""
    turns = 0

    async def turn() -> None:
        nonlocal turns
        await rooms.door()
        turns += 1
        if turns % repair_every == 0 and await rooms.repair_line():
            log.info("queue line rebuilt from PostgreSQL")

    await every(interval, "waiting_room", turn, metrics)
