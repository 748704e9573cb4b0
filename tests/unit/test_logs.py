"""JSON logs: UTC timestamps with their offset, and the call's request id on every record of a call."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime

from apextick_platform import call_context
from apextick_platform.logs import JsonFormatter


def _line(name: str, message: str, **extra: object) -> dict[str, object]:
    record = logging.LogRecord(name, logging.INFO, __file__, 1, message, (), None)
    record.__dict__.update(extra)
    return dict(json.loads(JsonFormatter().format(record)))


def test_timestamps_are_utc_with_their_offset() -> None:
    stamp = str(_line("t", "hello")["ts"])
    assert stamp.endswith("+00:00")
    assert datetime.fromisoformat(stamp).utcoffset() is not None


async def test_every_record_of_a_call_carries_its_request_id() -> None:
    async def call(request_id: str) -> list[dict[str, object]]:
        call_context.begin(call_context.Call(request_id, None))
        await asyncio.sleep(0)  # another call runs meanwhile: the id follows this task only
        return [_line("apextick.use_case", "deep inside"), _line("apextick.adapter", "deeper", seats=2)]

    first, second = await asyncio.gather(
        asyncio.create_task(call("req-1")), asyncio.create_task(call("req-2"))
    )
    assert {line["request_id"] for line in first} == {"req-1"}
    assert {line["request_id"] for line in second} == {"req-2"}
    assert first[1]["seats"] == 2


def test_a_record_outside_any_call_has_no_request_id() -> None:
    assert "request_id" not in _line("worker", "sweep")
