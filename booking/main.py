"""`apextick-booking serve | seatmap | worker | relay | migrate`: the process entry point.

Each command imports only what it runs: the migration tool (alembic), the relay's broker client and
the workers stay out of the serve process, about 13 MB of its resident memory (PERFORMANCE.md sets a
booking server under 150 MB under the flash-sale load)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import threading

import uvloop

from apextick_platform import logs
from apextick_platform.grpc.hosting import until_signalled
from apextick_platform.metrics import MetricsEndpoint, stop_serving
from apextick_platform.probes import Readiness
from booking import bootstrap
from booking.settings import BookingSettings


async def serve(settings: BookingSettings) -> None:
    from booking.entrypoints.grpc.server import BookingServer  # noqa: PLC0415 - per command (docstring)

    server = BookingServer(bootstrap.build(settings), f"{settings.host}:{settings.port}")
    await until_signalled(server.start, lambda: server.stop(settings.shutdown_grace_seconds))


async def seatmap(settings: BookingSettings) -> None:
    """The live seat map alone (seat_map_server.py), on its own port, at a lower CPU priority."""
    os.nice(settings.seatmap_nice)
    from booking.entrypoints.grpc.seat_map_server import SeatMapServer  # noqa: PLC0415 - per command

    server = SeatMapServer(bootstrap.build(settings), f"{settings.host}:{settings.seatmap_port}")
    await until_signalled(server.start, lambda: server.stop(settings.shutdown_grace_seconds))


PROBE_INTERVAL_SECONDS = 5.0  # how often the worker asks its dependencies, for /readyz
PROBE_STALE_SECONDS = 30.0  # a main loop silent this long is not live


async def work(settings: BookingSettings) -> None:
    """Expiry listener, sweeper and payment reconciler until SIGTERM. Several workers may run: every
    release is conditional and every payment notice idempotent."""
    from booking.entrypoints.workers import (  # noqa: PLC0415 - per command (docstring)
        WorkerMetrics,
        dependency_watch,
        expiry_listener,
        expiry_sweeper,
        payment_reconciler,
        waiting_room_door,
    )

    container = bootstrap.build(settings)
    await container.pool.open(wait=True)
    registry = container.registry  # refunds the reconciler makes are counted there
    metrics = WorkerMetrics(registry)
    probes = Readiness(["postgres", "redis"], stale_seconds=PROBE_STALE_SECONDS)
    served = MetricsEndpoint(settings.host, settings.metrics_port).start(registry, probes)

    async def postgres() -> None:
        async with container.pool.connection() as conn:
            await conn.execute("SELECT 1")

    async def redis() -> None:
        await container.redis.ping()

    checks = {"postgres": postgres, "redis": redis}
    tasks = [
        asyncio.create_task(dependency_watch(probes, checks, PROBE_INTERVAL_SECONDS)),
        asyncio.create_task(expiry_listener(container.redis, container.holds, metrics=metrics)),
        asyncio.create_task(expiry_sweeper(container.holds, settings.sweep_interval_seconds, metrics)),
        asyncio.create_task(
            payment_reconciler(
                container.payments, container.refunds, settings.orders.reconcile_interval_seconds, metrics
            )
        ),
    ]
    if container.waiting_room is not None:
        tasks.append(asyncio.create_task(waiting_room_door(container.waiting_room, metrics=metrics)))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await container.close()
    stop_serving(served)


def relay(settings: BookingSettings) -> None:
    """The outbox relay until SIGTERM. Several may run: each claims its rows with SKIP LOCKED."""
    from booking.adapters.outbox_relay import run_relay  # noqa: PLC0415 - per command (docstring)

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    run_relay(settings, stop)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="apextick-booking")
    parser.add_argument("command", choices=["serve", "seatmap", "worker", "relay", "migrate"])
    args = parser.parse_args(argv)
    settings = BookingSettings.from_env()
    logs.configure(settings.log_level)
    if args.command == "migrate":
        from booking.migrations import upgrade_to_head  # noqa: PLC0415 - per command (docstring)

        upgrade_to_head(settings.database_url)
        return
    if args.command == "relay":
        relay(settings)
        return
    with contextlib.suppress(KeyboardInterrupt):
        commands = {"serve": serve, "seatmap": seatmap, "worker": work}
        uvloop.run(commands[args.command](settings))
