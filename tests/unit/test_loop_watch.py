"""The loop watch sees a stretch of blocking work on a real event loop, and only that."""

from __future__ import annotations

import asyncio
import time

from apextick_platform.loop_watch import LoopWatch


async def test_a_blocking_stretch_is_seen_and_quiet_ticks_are_not() -> None:
    watch = LoopWatch(threshold_seconds=0.08, interval_seconds=0.01)
    watch.start()
    await asyncio.sleep(0.1)
    assert watch.held == 0
    time.sleep(0.15)  # noqa: ASYNC251 - what a request doing CPU work on the loop does to everyone

    await asyncio.sleep(0.05)
    await watch.stop()
    assert watch.held == 1
    assert 0.12 <= watch.worst < 1.0
