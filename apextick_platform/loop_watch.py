"""How long the event loop goes without turning: a ticker asks to wake every `interval`, and any
lateness is time something held the loop (a request doing CPU work on it, a blocking call, a long
garbage collection). Every stretch over the threshold is logged, so a request that freezes a server
for everyone shows in the logs, not only in a profiler; the worst stretch is kept for reports."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

log = logging.getLogger(__name__)


class LoopWatch:
    def __init__(self, threshold_seconds: float = 0.1, interval_seconds: float = 0.02) -> None:
        self.threshold = threshold_seconds
        self.interval = interval_seconds
        self.worst = 0.0
        self.held = 0  # stretches over the threshold
        self._task: asyncio.Task[None] | None = None

    def observe(self, lateness: float) -> None:
        self.worst = max(self.worst, lateness)
        if lateness > self.threshold:
            self.held += 1
            log.warning(
                "event loop held",
                extra={"held_ms": round(lateness * 1000, 1), "worst_ms": round(self.worst * 1000, 1)},
            )

    async def _tick(self) -> None:
        while True:
            asked = time.perf_counter()
            await asyncio.sleep(self.interval)
            self.observe(time.perf_counter() - asked - self.interval)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._tick(), name="loop-watch")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
