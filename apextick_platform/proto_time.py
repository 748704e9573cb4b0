"""Datetimes to protobuf Timestamps, in one place so that every event and every response stamps alike."""

from __future__ import annotations

from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp


def timestamp(value: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def stamp(value: datetime | None) -> Timestamp | None:
    """A Timestamp for a message field that may be unset (None leaves it unset)."""
    return None if value is None else timestamp(value)
