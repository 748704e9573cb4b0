"""Runs a coroutine on uvloop when it is installed (the `fast` extra), on asyncio's own loop otherwise."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    try:
        import uvloop  # noqa: PLC0415 - optional: the SDK works without it
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)
