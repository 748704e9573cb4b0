"""A running Envoy with the generated configuration, for the tests and the benchmarks (`make up`
starts its own through scripts/stack.sh): render, start, wait until its admin says LIVE, stop."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from edge.descriptors import build_descriptor_set
from edge.envoy_config import bootstrap
from edge.settings import EdgeSettings
from edge.upstreams import all_routes, clusters_by_service

ENVOY = Path(sys.executable).parent / "envoy"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_envoy(settings: EdgeSettings, workdir: Path) -> Iterator[None]:
    """Envoy on `settings`' ports until the block ends; its log is workdir/envoy.log."""
    workdir.mkdir(parents=True, exist_ok=True)
    descriptor_set = build_descriptor_set(workdir / "apextick.pb")
    config = bootstrap(settings, all_routes(), descriptor_set, clusters_by_service())
    config_file = workdir / "envoy.json"
    config_file.write_text(json.dumps(config))
    with (workdir / "envoy.log").open("wb") as log:
        command = [str(ENVOY), "-c", str(config_file), "--disable-hot-restart", "-l", "warning"]
        process = subprocess.Popen(command, stdout=log, stderr=log)  # noqa: S603 - fixed argv
        try:
            _wait_ready(settings.admin_port, process)
            yield
        finally:
            process.terminate()
            process.wait(timeout=20)


def _wait_ready(admin_port: int, process: subprocess.Popen[bytes], limit: float = 30) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"envoy exited with {process.returncode}")
        try:
            url = f"http://127.0.0.1:{admin_port}/ready"
            with urllib.request.urlopen(url, timeout=0.5) as response:
                if b"LIVE" in response.read():
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError("envoy did not become ready")
