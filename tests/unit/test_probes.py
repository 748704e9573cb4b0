"""Liveness and readiness as rules, and as served: not ready until every dependency answered, not
ready while one is down, not live once the main loop stops beating; /livez and /readyz answer 200 or
503 beside /metrics."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from apextick_platform.metrics import MetricsEndpoint, new_registry, stop_serving
from apextick_platform.probes import Readiness


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_ready_only_once_every_dependency_answered_and_while_the_loop_beats() -> None:
    clock = Clock()
    probes = Readiness(["postgres", "redis"], stale_seconds=30, clock=clock)
    assert probes.live()
    assert not probes.is_ready()  # nothing tried yet
    probes.mark("postgres", up=True)
    assert not probes.is_ready()
    probes.mark("redis", up=True)
    assert probes.is_ready()
    probes.mark("redis", up=False)
    assert probes.ready() == {"postgres": True, "redis": False}
    assert not probes.is_ready()
    probes.mark("redis", up=True)
    clock.now += 31  # the loop stopped beating
    assert not probes.live()
    assert not probes.is_ready()
    probes.beat()
    assert probes.is_ready()


def get(port: int, path: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.read()


def test_the_probes_are_served_beside_the_metrics() -> None:
    probes = Readiness(["rabbitmq"], stale_seconds=30)
    server = MetricsEndpoint(port=0).start(new_registry(), probes)
    assert server is not None
    port = int(server.server_address[1])
    try:
        assert get(port, "/livez")[0] == 200
        status, body = get(port, "/readyz")
        assert (status, json.loads(body)["dependencies"]) == (503, {"rabbitmq": False})
        probes.mark("rabbitmq", up=True)
        assert get(port, "/readyz")[0] == 200
        assert b"process_cpu_seconds_total" in get(port, "/metrics")[1]
    finally:
        stop_serving(server)
