"""PostgreSQL text cannot hold a NUL character, so a string carrying one would fail deep in a query
as an internal error. Every request is checked here instead and answered INVALID_ARGUMENT, naming the
fields (the fuzzer found this through a search filter)."""

from __future__ import annotations

from collections.abc import Iterator

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from apextick_platform.errors import DomainError, ErrorCode, FieldViolation


def _nul_paths(message: Message, prefix: str = "") -> Iterator[str]:
    for field, value in message.ListFields():
        path = f"{prefix}{field.name}"
        repeated = field.is_repeated
        if field.type == FieldDescriptor.TYPE_STRING:
            values = list(value) if repeated else [value]
            if any("\x00" in text for text in values):
                yield path
        elif field.type == FieldDescriptor.TYPE_MESSAGE:
            if field.message_type is not None and field.message_type.GetOptions().map_entry:
                for key, item in value.items():
                    if isinstance(key, str) and "\x00" in key:
                        yield path
                    elif isinstance(item, str) and "\x00" in item:
                        yield f"{path}[{key}]"
                    elif isinstance(item, Message):
                        yield from _nul_paths(item, f"{path}[{key}].")
            elif repeated:
                for index, item in enumerate(value):
                    yield from _nul_paths(item, f"{path}[{index}].")
            else:
                yield from _nul_paths(value, f"{path}.")


def reject_nul_characters(message: Message) -> None:
    paths = list(_nul_paths(message))
    if paths:
        raise DomainError(
            ErrorCode.INVALID_ARGUMENT,
            "text must not contain NUL characters",
            violations=[FieldViolation(path, "must not contain NUL (U+0000) characters") for path in paths],
        )
