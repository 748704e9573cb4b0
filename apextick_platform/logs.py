"""Structured logs: one JSON object per line, with whatever `extra` fields the caller gave.

Timestamps are UTC with their offset (`2026-12-02T10:15:30.123+00:00`), so lines from several hosts
sort and compare without guessing a zone. Every record logged while an RPC runs carries that call's
request id, not only the access line: the call pipeline sets it in a context variable, which follows
the call's task and everything it awaits."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from apextick_platform import call_context

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


def utc_time(created: float) -> str:
    return datetime.fromtimestamp(created, UTC).isoformat(timespec="milliseconds")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": utc_time(record.created),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        request_id = call_context.request_id()
        if request_id:
            entry["request_id"] = request_id
        entry.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # The stripe library logs every request and response at INFO; our access log already covers calls.
    logging.getLogger("stripe").setLevel(max(root.level, logging.WARNING))
