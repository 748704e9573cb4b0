"""`apextick-notification serve | consume | migrate | replay-dead-letters`: the process entry point."""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import threading

import uvloop

from apextick_platform import logs
from apextick_platform.grpc.hosting import until_signalled
from apextick_platform.metrics import MetricsEndpoint
from notification import bootstrap
from notification.adapters.dead_letters import replay_dead_letters
from notification.entrypoints.consumer import run_consumer
from notification.entrypoints.grpc.server import NotificationServer
from notification.migrations import upgrade_to_head
from notification.settings import NotificationSettings


async def serve(settings: NotificationSettings) -> None:
    metrics = MetricsEndpoint(settings.host, settings.metrics_port)
    server = NotificationServer(bootstrap.build(settings), f"{settings.host}:{settings.port}", metrics)
    await until_signalled(server.start, lambda: server.stop(settings.shutdown_grace_seconds))


def consume(settings: NotificationSettings) -> None:
    """Until SIGTERM. Several consumers may run: the quorum queue hands each message to one, and a
    delivery's row lock keeps two from sending it together after a redelivery."""
    container = bootstrap.build(settings)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    try:
        run_consumer(container, stop, metrics=MetricsEndpoint(settings.host, settings.metrics_port))
    finally:
        container.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="apextick-notification")
    parser.add_argument("command", choices=["serve", "consume", "migrate", "replay-dead-letters"])
    args = parser.parse_args(argv)
    settings = NotificationSettings.from_env()
    logs.configure(settings.log_level)
    # pika logs every connection's life at INFO; the consumer logs what matters (lost, reconnected).
    logging.getLogger("pika").setLevel(max(logging.WARNING, logging.getLevelName(settings.log_level)))
    if args.command == "migrate":
        upgrade_to_head(settings.database_url)
    elif args.command == "replay-dead-letters":
        moved = replay_dead_letters(settings.amqp_url, settings.queue)
        logging.getLogger(__name__).info("dead letters replayed", extra={"count": moved})
    elif args.command == "consume":
        consume(settings)
    else:
        with contextlib.suppress(KeyboardInterrupt):
            uvloop.run(serve(settings))
