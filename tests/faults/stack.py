"""The processes a fault run drives and hurts: the real booking server, worker and relay and the
notification server and consumer, on this checkout's PostgreSQL, Redis and RabbitMQ, known by their
pids, so faults come from outside them."""

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
SERVICES = Path(os.environ.get("APEXTICK_SERVICES_SCRIPT", ROOT / "scripts" / "services.sh"))


def services(action: str, service: str) -> float:
    """Act on a backing service through the project's script (the one that runs it); the seconds taken."""
    started = time.monotonic()
    subprocess.run([str(SERVICES), action, service], check=True, capture_output=True, timeout=240)  # noqa: S603
    return round(time.monotonic() - started, 2)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


# The processes a run may start, by role: the program and its command.
PROGRAMS = {
    "server": ("apextick-booking", "serve"),
    "worker": ("apextick-booking", "worker"),
    "relay": ("apextick-booking", "relay"),
    "notification": ("apextick-notification", "serve"),
    "consumer": ("apextick-notification", "consume"),
}
LISTENERS = {"server", "notification"}  # roles whose start waits for their port


@dataclass
class Stack:
    database_url: str
    redis_url: str
    identity: JwksServer
    hold_ttl_seconds: float
    port: int = field(default_factory=free_port)
    notification_port: int = field(default_factory=free_port)
    extra_env: dict[str, str] = field(default_factory=dict)
    log_dir: Path | None = None  # each role's stderr (its JSON log) goes to <role>.log here if set
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _env(self) -> dict[str, str]:
        return {
            **os.environ,
            "APEXTICK_DATABASE_URL": self.database_url,
            "APEXTICK_REDIS_URL": self.redis_url,
            "APEXTICK_BOOKING_PORT": str(self.port),
            "APEXTICK_NOTIFICATION_PORT": str(self.notification_port),
            "APEXTICK_OIDC_ISSUER": self.identity.issuer,
            "APEXTICK_OIDC_JWKS_URL": self.identity.jwks_url,
            "APEXTICK_HOLD_TTL_SECONDS": str(self.hold_ttl_seconds),
            "APEXTICK_SWEEP_INTERVAL": "0.5",
            "APEXTICK_LOG_LEVEL": "ERROR",
            "APEXTICK_TICKET_SIGNING_SECRET": os.environ.get("APEXTICK_TICKET_SIGNING_SECRET", "f" * 64),
            "APEXTICK_QUEUE_PASS_SECRET": os.environ.get("APEXTICK_QUEUE_PASS_SECRET", "q" * 64),
            **self.extra_env,
        }

    def _port_of(self, role: str) -> int:
        return self.port if role == "server" else self.notification_port

    def start(self, role: str, limit: float = 30.0) -> float:
        """Start (or restart) a role; the seconds until it listens (0 for roles without a port)."""
        started = time.monotonic()
        program, command = PROGRAMS[role]
        log = (self.log_dir / f"{role}.log").open("ab") if self.log_dir else subprocess.DEVNULL
        process = subprocess.Popen(  # noqa: S603 - our own entry points, fixed argv
            [str(BIN / program), command], env=self._env(), cwd=ROOT,
            stdout=subprocess.DEVNULL, stderr=log,
        )  # fmt: skip
        if not isinstance(log, int):
            log.close()  # the child has its own copy
        self.processes[role] = process
        while role in LISTENERS and not listening(self._port_of(role)):
            if process.poll() is not None or time.monotonic() - started > limit:
                raise AssertionError(f"{role} did not come up (exit {process.poll()})")
            time.sleep(0.05)
        return time.monotonic() - started

    def kill(self, role: str) -> None:
        self.processes[role].send_signal(signal.SIGKILL)
        self.processes[role].wait(10)

    def pause(self, role: str) -> None:
        self.processes[role].send_signal(signal.SIGSTOP)

    def resume(self, role: str) -> None:
        self.processes[role].send_signal(signal.SIGCONT)

    def running(self, role: str) -> bool:
        return role in self.processes and self.processes[role].poll() is None

    def stop(self) -> None:
        """SIGTERM, and SIGKILL for whatever has not ended in time; every process is reaped."""
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGCONT)
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
