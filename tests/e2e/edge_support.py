"""A real Envoy in front of the test booking server, configured by the same generator as `make up`."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from edge.running import free_port, running_envoy
from edge.settings import EdgeSettings

__all__ = ["Edge", "free_port", "running_edge"]  # free_port: the tests' one helper for a loopback port


@dataclass(frozen=True)
class Edge:
    settings: EdgeSettings

    @property
    def rest(self) -> str:
        return f"http://127.0.0.1:{self.settings.rest_port}"

    @property
    def grpc(self) -> str:
        return f"127.0.0.1:{self.settings.grpc_port}"


@contextmanager
def running_edge(base: EdgeSettings, workdir: Path) -> Iterator[Edge]:
    settings = replace(base, rest_port=free_port(), grpc_port=free_port(), admin_port=free_port())
    with running_envoy(settings, workdir):
        yield Edge(settings)


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
