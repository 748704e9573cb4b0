"""The load generators the harness drives: the project's own (benchmarks/loadgen, Go, one process for
every simulated customer) and h2load, the reference that tells whether ours set the pace."""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from apextick.inventory.v1 import inventory_service_pb2 as svc

ROOT = Path(__file__).resolve().parents[2]
LOADGEN = ROOT / "var" / "bin" / "loadgen"
HOLD_SEATS = "/apextick.inventory.v1.InventoryService/HoldSeats"
H2LOAD = shutil.which("h2load") or "/usr/bin/h2load"  # Debian's nghttp2-client (scripts/install.sh)
# One runtime thread and a lazier collector: on two shared cores, that left more of them to the server.
GENERATOR_ENV = {"GOMAXPROCS": "1", "GOGC": "400"}


@dataclass(frozen=True)
class Load:
    """One generator run: `attempts` HoldSeats calls for random seats of `event` from `concurrency`
    callers over `connections` HTTP/2 connections; `warmup` calls first (on `warmup_event`), not counted."""

    target: str
    event: str
    seat_ids: list[str]
    tokens: list[str]
    attempts: int
    concurrency: int
    connections: int = 20
    warmup: int = 0
    warmup_event: str = ""
    warmup_seat_ids: list[str] = field(default_factory=list)  # default: seat_ids
    rest: bool = False
    # WatchSeatMap streams on `event` held open during the measured calls (loadgen's watch.go).
    watchers: int = 0
    watch_target: str = ""  # default: target
    watch_rest: bool = False  # through the edge's REST stream (NDJSON), as the browser watches
    call: str = "hold"  # or "join": JoinQueue on `event` (each token one place; seats unused)
    passes: list[str] = field(default_factory=list)  # queue passes, the i-th carried with the i-th token


@dataclass
class Figures:
    name: str
    attempts: int
    seconds: float
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    outcomes: dict[str, int]
    generator_cpu_seconds: float
    concurrency: int
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def ok(self) -> int:
        return self.outcomes.get("OK", 0)


def _lines(directory: Path, name: str, values: list[str]) -> Path:
    path = directory / name
    path.write_text("\n".join(values) + "\n")
    return path


def run_loadgen(name: str, load: Load) -> Figures:
    with tempfile.TemporaryDirectory(prefix="apextick-load-") as scratch:
        directory = Path(scratch)
        command = [
            str(LOADGEN),
            f"-target={load.target}",
            f"-event={load.event}",
            f"-seats={_lines(directory, 'seats', load.seat_ids)}",
            f"-n={load.attempts}",
            f"-c={load.concurrency}",
            f"-connections={load.connections}",
            f"-warmup={load.warmup}",
            f"-warmup-event={load.warmup_event or load.event}",
        ]
        if load.tokens:
            command.append(f"-tokens={_lines(directory, 'tokens', load.tokens)}")
        if load.passes:
            command.append(f"-passes={_lines(directory, 'passes', load.passes)}")
        if load.call != "hold":
            command.append(f"-call={load.call}")
        if load.warmup_seat_ids:
            command.append(f"-warmup-seats={_lines(directory, 'warmup-seats', load.warmup_seat_ids)}")
        if load.rest:
            command.append("-rest")
        if load.watchers:
            command += [f"-watchers={load.watchers}", f"-watch-target={load.watch_target or load.target}"]
            command += ["-watch-rest"] if load.watch_rest else []
        done = subprocess.run(command, capture_output=True, check=True, timeout=1800, env=GENERATOR_ENV)
    raw = json.loads(done.stdout)
    extra: dict[str, object] = {"watch": raw["watch"]} if "watch" in raw else {}
    return Figures(
        name=name,
        attempts=raw["attempts"],
        seconds=raw["seconds"],
        rps=raw["rps"],
        p50_ms=raw["p50_ms"],
        p95_ms=raw["p95_ms"],
        p99_ms=raw["p99_ms"],
        max_ms=raw["max_ms"],
        outcomes=raw["outcomes"],
        generator_cpu_seconds=raw["generator_cpu_seconds"],
        concurrency=raw["concurrency"],
        extra=extra,
    )


def grpc_frame(event: str) -> bytes:
    """One HoldSeats request as a gRPC length-prefixed message, the body h2load repeats."""
    message = svc.HoldSeatsRequest(
        event=event, seat_ids=["floor-A-1"], request_id=str(uuid.uuid4())
    ).SerializeToString()
    return b"\0" + struct.pack(">I", len(message)) + message


FINISHED = re.compile(r"finished in ([\d.]+)(ms|s), ([\d.]+) req/s")
SUCCEEDED = re.compile(r"(\d+) succeeded")


def run_h2load(target: str, attempts: int, concurrency: int, connections: int) -> dict[str, float]:
    """h2load on a gRPC method (same body every call: only meaningful on the no-op)."""
    with tempfile.NamedTemporaryFile(prefix="apextick-h2load-", suffix=".bin") as body:
        body.write(grpc_frame("events/noop"))
        body.flush()
        done = subprocess.run(
            [
                H2LOAD,
                f"-n{attempts}",
                f"-c{connections}",
                f"-m{max(1, concurrency // connections)}",
                "-H",
                "content-type: application/grpc",
                "-H",
                "te: trailers",
                "-d",
                body.name,
                f"http://{target}{HOLD_SEATS}",
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=600,
        )
    finished = FINISHED.search(done.stdout)
    succeeded = SUCCEEDED.search(done.stdout)
    if finished is None or succeeded is None:
        raise RuntimeError(f"h2load printed no figures:\n{done.stdout[-2000:]}")
    seconds = float(finished.group(1)) / (1000 if finished.group(2) == "ms" else 1)
    return {"rps": float(finished.group(3)), "seconds": seconds, "ok": int(succeeded.group(1))}
