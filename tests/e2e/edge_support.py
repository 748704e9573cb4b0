"""A real Envoy in front of the test booking server, configured by the same generator as `make up`."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from edge.descriptors import build_descriptor_set
from edge.envoy_config import bootstrap
from edge.settings import EdgeSettings
from edge.upstreams import all_routes, clusters_by_service

ENVOY = Path(sys.executable).parent / "envoy"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Edge:
    settings: EdgeSettings

    @property
    def rest(self) -> str:
        return f"http://127.0.0.1:{self.settings.rest_port}"

    @property
    def grpc(self) -> str:
        return f"127.0.0.1:{self.settings.grpc_port}"


def _wait_ready(admin_port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"envoy exited with {process.returncode}")
        try:
            url = f"http://127.0.0.1:{admin_port}/ready"
            with urllib.request.urlopen(url, timeout=0.5) as response:
                if b"LIVE" in response.read():
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError("envoy did not become ready")


@contextmanager
def running_edge(base: EdgeSettings, workdir: Path) -> Iterator[Edge]:
    settings = replace(base, rest_port=free_port(), grpc_port=free_port(), admin_port=free_port())
    descriptor_set = build_descriptor_set(workdir / "apextick.pb")
    config = bootstrap(settings, all_routes(), descriptor_set, clusters_by_service())
    config_file = workdir / "envoy.json"
    config_file.write_text(json.dumps(config))
    log = (workdir / "envoy.log").open("wb")
    command = [str(ENVOY), "-c", str(config_file), "--disable-hot-restart", "-l", "warning"]
    process = subprocess.Popen(command, stdout=log, stderr=log)  # noqa: S603 - fixed argv
    try:
        _wait_ready(settings.admin_port, process)
        yield Edge(settings)
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def _call(method: str, url: str, body: object | None, headers: dict[str, str]) -> Reply:
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310 - loopback
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
            return Reply(
                response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
            )
    except urllib.error.HTTPError as error:
        return Reply(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())


async def http(
    method: str,
    url: str,
    body: object | None = None,
    token: str | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    """A REST call from a worker thread: the booking server under test shares this event loop."""
    all_headers = {"content-type": "application/json", **(headers or {})}
    if token:
        all_headers["authorization"] = f"Bearer {token}"
    return await asyncio.to_thread(_call, method, url, body, all_headers)
