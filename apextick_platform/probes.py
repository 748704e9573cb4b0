"""Liveness and readiness of a process without a gRPC server (the booking worker, the outbox relay,
the notification consumer), answered over HTTP beside its /metrics: /livez is 200 while its main loop
turns, /readyz is 200 while, besides, every dependency it needs answered at its last try.

The process's own loops report what they see (a batch that reached PostgreSQL and the broker, a lost
connection; the worker checks its pools every few seconds), so a probe itself opens nothing and
costs nothing when nobody asks."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable


class Readiness:
    """Thread-safe: the process's loops write, the probe's HTTP thread reads."""

    def __init__(
        self, dependencies: Iterable[str], stale_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._lock = threading.Lock()
        self._up = dict.fromkeys(dependencies, False)  # unknown until the first try: not ready
        self._stale = stale_seconds
        self._clock = clock
        self._beat = clock()

    def beat(self) -> None:
        """The main loop turned."""
        with self._lock:
            self._beat = self._clock()

    def mark(self, dependency: str, *, up: bool) -> None:
        with self._lock:
            self._up[dependency] = up
            self._beat = self._clock()

    def live(self) -> bool:
        with self._lock:
            return self._clock() - self._beat <= self._stale

    def ready(self) -> dict[str, bool]:
        """Each dependency's state; the process is ready when it is live and all are up."""
        with self._lock:
            return dict(self._up)

    def is_ready(self) -> bool:
        return self.live() and all(self.ready().values())
