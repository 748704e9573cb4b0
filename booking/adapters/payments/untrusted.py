"""Reading what anyone on the internet may post before it is authenticated (webhook bodies, headers).

Nothing here may raise anything but ValueError: deep nesting (RecursionError in the JSON decoder), huge
numbers (Python's 4300-digit int limit), invalid UTF-8 and non-ASCII digits are all just "malformed",
which the adapters answer as a 400 with a reason, never a 500 with a traceback."""

from __future__ import annotations

import json
from typing import Any

MAX_BODY_BYTES = 64 * 1024  # the edge's own limit: anything longer never reached us through it
MAX_INT_DIGITS = 18  # fits a bigint; a timestamp, an amount in minor units or an id has no more


def json_object(body: bytes) -> dict[str, Any]:
    """A JSON object, or ValueError."""
    if len(body) > MAX_BODY_BYTES:
        raise ValueError("the body is too large")
    try:
        value = json.loads(body, parse_int=_bounded_int, parse_constant=_no_constant)
    except RecursionError:
        raise ValueError("the body is nested too deeply") from None
    if not isinstance(value, dict):
        raise ValueError("the body is not an object")  # noqa: TRY004 - callers catch ValueError only
    return value


def ascii_int(text: str, max_digits: int = MAX_INT_DIGITS) -> int:
    """A plain non-negative ASCII integer of bounded length, or ValueError (int() alone would accept
    Arabic-Indic digits, underscores, surrounding spaces, and choke on a million digits)."""
    if not (0 < len(text) <= max_digits and text.isascii() and text.isdigit()):
        raise ValueError("not a plain integer")
    return int(text)


def _bounded_int(text: str) -> int:
    digits = text.removeprefix("-")
    return -ascii_int(digits) if text.startswith("-") else ascii_int(digits)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
