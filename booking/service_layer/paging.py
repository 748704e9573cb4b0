"""Opaque page tokens: a keyset cursor bound to the query that produced it."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar
from uuid import UUID

from apextick_platform.errors import DomainError, ErrorCode
from booking.service_layer.ports import Cursor

DEFAULT_PAGE_SIZE = 50
T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    next_page_token: str


def page_size(requested: int, default: int = DEFAULT_PAGE_SIZE, maximum: int | None = None) -> int:
    size = requested if requested > 0 else default
    return min(size, maximum) if maximum is not None else size


def cut(rows: Sequence[T], limit: int, cursor_of: Callable[[T], Cursor], query: str) -> Page[T]:
    """A page from rows fetched with `limit + 1`: the extra row only says that a next page exists,
    and the page's last row is where it starts."""
    items = rows[:limit]
    token = encode(cursor_of(items[-1]), query) if len(rows) > limit else ""
    return Page(items, token)


def query_hash(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def encode(cursor: Cursor, query: str) -> str:
    raw = json.dumps({"v": cursor.sort_value.isoformat(), "id": str(cursor.id), "q": query})
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(token: str, query: str) -> Cursor | None:
    """Empty token: first page. A token from another query, or garbage, is PAGE_TOKEN_INVALID."""
    if not token:
        return None
    try:
        raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        cursor = Cursor(datetime.fromisoformat(raw["v"]), UUID(raw["id"]))
        same_query = raw["q"] == query
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise _invalid_token() from exc
    if not same_query:
        raise _invalid_token()
    return cursor


def encode_offset(offset: int, query: str) -> str:
    """For sources that page by position only (the identity provider's user search)."""
    raw = json.dumps({"o": offset, "q": query})
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_offset(token: str, query: str) -> int:
    if not token:
        return 0
    try:
        raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        offset, same_query = int(raw["o"]), raw["q"] == query
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise _invalid_token() from exc
    if not same_query or offset < 0:
        raise _invalid_token()
    return offset


def _invalid_token() -> DomainError:
    return DomainError(ErrorCode.PAGE_TOKEN_INVALID, "the page token is not valid for this query")
