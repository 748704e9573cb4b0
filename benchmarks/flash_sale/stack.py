"""What the benchmark runs against, started by the benchmark itself so a run needs only the backing
services (PostgreSQL, Redis): a stand-in identity provider, the two reference servers, N booking
processes sharing one port through SO_REUSEPORT, and the Envoy edge in front of them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from devstack.identity import AUDIENCE, DemoUser, JwksServer, SigningKey, access_claims
from edge.running import free_port, running_envoy
from edge.settings import EdgeSettings

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
QUIET = {"APEXTICK_LOG_LEVEL": "WARNING"}


SS = shutil.which("ss") or "/usr/bin/ss"  # iproute2


def wait_listening(port: int, processes: list[subprocess.Popen[bytes]], limit: float = 30) -> None:
    """Until every one of these processes listens on the port itself: with SO_REUSEPORT the port
    answers as soon as the first binds, so each is checked by its own socket (ss names the pids)."""
    deadline = time.monotonic() + limit
    waiting = {process.pid for process in processes}
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        listeners = subprocess.run(
            [SS, "-Htlnp", f"sport = :{port}"], capture_output=True, text=True, check=True
        ).stdout
        waiting = {pid for pid in waiting if f"pid={pid}," not in listeners}
        if not waiting:
            return
        time.sleep(0.1)
    raise RuntimeError(f"processes {sorted(waiting)} did not listen on {port}")


@dataclass(frozen=True)
class Identity:
    """Mints tokens the booking servers and the edge accept, as Keycloak would (same claims)."""

    key: SigningKey
    server: JwksServer

    def token(self, *roles: str) -> str:
        user = DemoUser(f"bench-{os.urandom(5).hex()}", roles)
        return self.key.sign(access_claims(user, self.server.issuer, ttl=4 * 3600))

    def customers(self, count: int) -> list[str]:
        return [self.token("customer") for _ in range(count)]

    @property
    def env(self) -> dict[str, str]:
        return {"APEXTICK_OIDC_ISSUER": self.server.issuer, "APEXTICK_OIDC_JWKS_URL": self.server.jwks_url}


@contextmanager
def identity() -> Iterator[Identity]:
    key = SigningKey.generate()
    server = JwksServer([key]).start()
    try:
        yield Identity(key, server)
    finally:
        server.stop()


@contextmanager
def processes(commands: list[list[str]], env: dict[str, str], port: int) -> Iterator[list[int]]:
    """Start every command (each with `env`), wait until `port` answers; stop them all at the end.
    Yields the pids, for memory readings."""
    started = [subprocess.Popen(command, env={**os.environ, **env}, cwd=ROOT) for command in commands]
    try:
        wait_listening(port, started)
        yield [p.pid for p in started]
    finally:
        for process in started:
            process.terminate()
        for process in started:
            process.wait(timeout=30)


def reference(kind: str) -> tuple[list[list[str]], int]:
    port = free_port()
    return [[str(BIN / "python"), "-m", "benchmarks.flash_sale.reference_servers", kind, str(port)]], port


@contextmanager
def booking(
    count: int, who: Identity, extra: dict[str, str] | None = None
) -> Iterator[tuple[str, list[int]]]:
    """`count` booking processes on one port: the kernel spreads connections over them (SO_REUSEPORT)."""
    port = free_port()
    env = {**QUIET, **who.env, "APEXTICK_BOOKING_PORT": str(port), **(extra or {})}
    commands = [[str(BIN / "apextick-booking"), "serve"] for _ in range(count)]
    with processes(commands, env, port) as pids:
        yield f"127.0.0.1:{port}", pids


@contextmanager
def seat_map_process(who: Identity, extra: dict[str, str] | None = None) -> Iterator[tuple[str, list[int]]]:
    """`apextick-booking seatmap`: the live map's streams in a process of their own."""
    port = free_port()
    env = {**QUIET, **who.env, "APEXTICK_SEATMAP_PORT": str(port), **(extra or {})}
    with processes([[str(BIN / "apextick-booking"), "seatmap"]], env, port) as pids:
        yield f"127.0.0.1:{port}", pids


@contextmanager
def booking_apart(count: int, who: Identity) -> Iterator[tuple[list[str], list[int]]]:
    """`count` booking processes, each on a port of its own (for Envoy to balance over)."""
    with ExitStack() as stack:
        started = [stack.enter_context(booking(1, who)) for _ in range(count)]
        yield [target for target, _ in started], [pid for _, pids in started for pid in pids]


def _port(target: str) -> int:
    return int(target.rsplit(":", 1)[1])


@contextmanager
def edge(
    booking_targets: list[str], who: Identity, workdir: Path, seatmap: str | None = None
) -> Iterator[str]:
    """Envoy in front of the booking processes (round robin over their ports), with the production
    routes, JWT checks and limits, and the map's watchers sent to `seatmap` when given; yields its
    REST address (host:port, cleartext HTTP/2 or HTTP/1.1)."""
    ports = [_port(target) for target in booking_targets]
    settings = EdgeSettings(
        rest_port=free_port(),
        grpc_port=free_port(),
        admin_port=free_port(),
        booking_port=ports[0],
        booking_extra_ports=tuple(ports[1:]),
        identity_port=who.server.port,
        issuer=who.server.issuer,
        audience=AUDIENCE,
        seatmap_port=_port(seatmap) if seatmap else None,
    )
    with running_envoy(settings, workdir):
        yield f"127.0.0.1:{settings.rest_port}"


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time of every thread of these processes so far, from /proc."""
    ticks = 0
    for pid in pids:
        for task in Path(f"/proc/{pid}/task").iterdir():
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return ticks / os.sysconf("SC_CLK_TCK")


def resident_mb(pids: list[int]) -> dict[str, float]:
    """Peak resident memory of each process so far, from /proc (VmHWM), by pid."""
    readings = {}
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name == "VmHWM":
                readings[str(pid)] = int(value.split()[0]) / 1024
    return readings
