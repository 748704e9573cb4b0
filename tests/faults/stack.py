"""The processes a fault run drives and hurts: real `apextick-booking serve` and `worker` processes on
this checkout's PostgreSQL and Redis, known by their pids, so faults come from outside them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from devstack.identity import JwksServer

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Stack:
    database_url: str
    redis_url: str
    identity: JwksServer
    hold_ttl_seconds: float
    port: int = field(default_factory=free_port)
    server: subprocess.Popen[bytes] | None = None
    worker: subprocess.Popen[bytes] | None = None

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _env(self) -> dict[str, str]:
        return {
            **os.environ,
            "APEXTICK_DATABASE_URL": self.database_url,
            "APEXTICK_REDIS_URL": self.redis_url,
            "APEXTICK_BOOKING_PORT": str(self.port),
            "APEXTICK_OIDC_ISSUER": self.identity.issuer,
            "APEXTICK_OIDC_JWKS_URL": self.identity.jwks_url,
            "APEXTICK_HOLD_TTL_SECONDS": str(self.hold_ttl_seconds),
            "APEXTICK_SWEEP_INTERVAL": "0.5",
            "APEXTICK_LOG_LEVEL": "ERROR",
            "APEXTICK_TICKET_SIGNING_SECRET": os.environ.get("APEXTICK_TICKET_SIGNING_SECRET", "f" * 64),
        }

    def _spawn(self, command: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(  # noqa: S603 - our own entry point, fixed argv
            [str(BIN / "apextick-booking"), command], env=self._env(), cwd=ROOT,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip

    def start_server(self, limit: float = 30.0) -> float:
        """Start (or restart) the server on its port; the seconds until it listens."""
        started = time.monotonic()
        self.server = self._spawn("serve")
        while not listening(self.port):
            if self.server.poll() is not None or time.monotonic() - started > limit:
                raise AssertionError(f"the booking server did not come up (exit {self.server.poll()})")
            time.sleep(0.05)
        return time.monotonic() - started

    def start_worker(self) -> None:
        self.worker = self._spawn("worker")

    def kill_server(self) -> None:
        assert self.server is not None
        self.server.send_signal(signal.SIGKILL)
        self.server.wait(10)

    def kill_worker(self) -> None:
        assert self.worker is not None
        self.worker.send_signal(signal.SIGKILL)
        self.worker.wait(10)

    def pause_worker(self) -> None:
        assert self.worker is not None
        self.worker.send_signal(signal.SIGSTOP)

    def resume_worker(self) -> None:
        assert self.worker is not None
        self.worker.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        """SIGTERM, and SIGKILL for whatever has not ended in time; every process is reaped."""
        for process in (self.server, self.worker):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGCONT)
                process.terminate()
        for process in (self.server, self.worker):
            if process is not None:
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(10)
