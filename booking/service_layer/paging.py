"""Opaque page tokens: a keyset cursor bound to the query that produced it."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from datetime import datetime
from uuid import UUID

from booking.domain.errors import DomainError, ErrorCode
from booking.service_layer.ports import Cursor

DEFAULT_PAGE_SIZE = 50


def page_size(requested: int) -> int:
    return requested if requested > 0 else DEFAULT_PAGE_SIZE


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


def _invalid_token() -> DomainError:
    return DomainError(ErrorCode.PAGE_TOKEN_INVALID, "the page token is not valid for this query")
