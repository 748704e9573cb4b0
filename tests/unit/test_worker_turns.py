"""The worker's loop: a failed turn is logged and counted, and the next turn still comes (a task that
stopped at its first error would stop expiring holds or turning the door for good)."""

from __future__ import annotations

import asyncio

from prometheus_client import CollectorRegistry

from booking.entrypoints.workers import WorkerMetrics, every


async def test_a_failed_turn_is_counted_and_the_next_one_runs() -> None:
    registry = CollectorRegistry()
    turns: list[int] = []
    done = asyncio.Event()

    async def turn() -> None:
        turns.append(len(turns))
        if len(turns) == 1:
            raise RuntimeError("the database blinked")
        if len(turns) == 3:
            done.set()

    task = asyncio.create_task(every(0.01, "door", turn, WorkerMetrics(registry)))
    await asyncio.wait_for(done.wait(), 5)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert turns == [0, 1, 2]
    assert registry.get_sample_value("apextick_worker_failures_total", {"task": "door"}) == 1
    assert task.cancelled()  # a cancel still stops it
