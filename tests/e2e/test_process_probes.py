"""/livez and /readyz of the processes without gRPC health, run as their own commands: the booking
worker is ready only while it reaches PostgreSQL and Redis, and says which one it misses; the
notification consumer is not ready while its broker is unreachable. Live in every case."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.e2e.edge_support import free_port
from tests.http_probe import probe

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@contextmanager
def process(command: list[str], env: dict[str, str]) -> Iterator[int]:
    """Starts the command with its metrics port; yields the port once the probes answer."""
    port = free_port()
    started = subprocess.Popen(  # noqa: S603 - our own command
        command, env={**os.environ, **env, "APEXTICK_METRICS_PORT": str(port), "APEXTICK_LOG_LEVEL": "ERROR"}
    )
    try:
        deadline = time.monotonic() + 30
        while probe(port, "/livez")[0] == 0:
            assert started.poll() is None, f"{command} exited with {started.returncode}"
            assert time.monotonic() < deadline, f"{command} never served its probes"
            time.sleep(0.2)
        yield port
    finally:
        started.terminate()
        started.wait(timeout=30)


def settles_at(port: int, status: int, limit: float = 20.0) -> dict[str, Any]:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        answered, body = probe(port, "/readyz")
        if answered == status:
            return body
        time.sleep(0.3)
    raise AssertionError(f"/readyz never answered {status}: {probe(port, '/readyz')}")


def test_the_worker_is_ready_only_while_it_reaches_postgres_and_redis(
    database_url: str, redis_url: str
) -> None:
    worker = [str(BIN / "apextick-booking"), "worker"]
    env = {"APEXTICK_DATABASE_URL": database_url, "APEXTICK_REDIS_URL": redis_url}
    nowhere = {**env, "APEXTICK_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}
    with process(worker, nowhere) as port:
        body = settles_at(port, 503)
        assert (body["live"], body["dependencies"]) == (True, {"postgres": True, "redis": False})
        assert probe(port, "/livez")[0] == 200
    with process(worker, env) as port:
        assert settles_at(port, 200)["dependencies"] == {"postgres": True, "redis": True}


def test_the_consumer_is_not_ready_while_its_broker_is_unreachable(database_url: str) -> None:
    consumer = [str(BIN / "apextick-notification"), "consume"]
    env = {
        "APEXTICK_DATABASE_URL": database_url,
        "APEXTICK_AMQP_URL": f"amqp://guest:guest@127.0.0.1:{free_port()}/%2F",
    }
    with process(consumer, env) as port:
        body = settles_at(port, 503)
        assert (body["live"], body["dependencies"]) == (True, {"rabbitmq": False})
