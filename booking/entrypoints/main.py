"""`apextick-booking serve | migrate`: the process entry point."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

import uvloop

from booking import bootstrap
from booking.entrypoints import logs
from booking.entrypoints.grpc.server import BookingServer
from booking.migrations import upgrade_to_head
from booking.settings import BookingSettings


async def serve(settings: BookingSettings) -> None:
    server = BookingServer(bootstrap.build(settings), f"{settings.host}:{settings.port}")
    await server.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await server.stop(settings.shutdown_grace_seconds)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="apextick-booking")
    parser.add_argument("command", choices=["serve", "migrate"])
    args = parser.parse_args(argv)
    settings = BookingSettings.from_env()
    logs.configure(settings.log_level)
    if args.command == "migrate":
        upgrade_to_head(settings.database_url)
        return
    with contextlib.suppress(KeyboardInterrupt):
        uvloop.run(serve(settings))
