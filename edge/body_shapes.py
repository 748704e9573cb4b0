"""Where a JSON body must carry a list, it carries a list.

Envoy's transcoder parses bodies with protobuf's JSON reader, which quietly takes a lone value for a
repeated field (`"seatIds": "x"` becomes `["x"]`): a coercion the contract does not allow, and no
transcoder option refuses it. So, for every route whose body reaches a repeated field, the generator
records the body's message (`body_message`) and the shapes of the messages on the way
(`shapes_for`), and a small Lua filter in front of the transcoder (edge/body_shapes.lua) refuses a
non-list there with INVALID_ARGUMENT. Everything else about the body stays the transcoder's job."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from google.api import http_pb2
from google.protobuf import descriptor_pool
from google.protobuf.descriptor import Descriptor, FieldDescriptor, MethodDescriptor

LUA_CHECKER = Path(__file__).with_name("body_shapes.lua")
# Their JSON forms are strings or free-form values, never checked here.
_OPAQUE_PREFIXES = ("google.protobuf.", "google.api.HttpBody")

# A field's shape: whether it must be a list, and the message (by full name) its values are.
FieldShape = tuple[bool, str | None]
Shapes = dict[str, dict[str, FieldShape]]


def _message_of(field: FieldDescriptor) -> Descriptor | None:
    message = field.message_type
    if message is None or message.GetOptions().map_entry:
        return None
    return None if message.full_name.startswith(_OPAQUE_PREFIXES) else message


def _is_list(field: FieldDescriptor) -> bool:
    repeated = field.is_repeated
    return repeated and not (field.message_type and field.message_type.GetOptions().map_entry)


def _reaches_a_list(message: Descriptor, seen: frozenset[str] = frozenset()) -> bool:
    if message.full_name in seen:
        return False
    for field in message.fields:
        nested = _message_of(field)
        if _is_list(field) or (nested and _reaches_a_list(nested, seen | {message.full_name})):
            return True
    return False


def body_message(method: MethodDescriptor, rule: http_pb2.HttpRule) -> str | None:
    """The message a route's JSON body is read into, when it reaches a repeated field."""
    if not rule.body:
        return None
    message: Descriptor | None = method.input_type
    if rule.body != "*":
        message = _message_of(method.input_type.fields_by_name[rule.body])
    if message is None or not _reaches_a_list(message):
        return None
    return str(message.full_name)


def shapes_for(names: Iterable[str]) -> Shapes:
    """The shapes of the named messages and of every message below them that reaches a list."""
    pool = descriptor_pool.Default()
    shapes: Shapes = {}
    pending = list(names)
    while pending:
        message = pool.FindMessageTypeByName(pending.pop())
        if message.full_name in shapes:
            continue
        fields: dict[str, FieldShape] = {}
        for field in message.fields:
            nested = _message_of(field)
            kept = nested.full_name if nested and _reaches_a_list(nested) else None
            if _is_list(field) or kept:
                # Protobuf's reader takes the JSON name and the proto name alike.
                fields[field.json_name] = fields[field.name] = (_is_list(field), kept)
            if kept:
                pending.append(kept)
        shapes[message.full_name] = fields
    return shapes


def _lua_string(text: str) -> str:
    if not text.replace("_", "").replace(".", "").isalnum():
        raise ValueError(f"not a protobuf name: {text!r}")
    return f'"{text}"'


def lua_shapes(shapes: Shapes) -> str:
    """The shapes as a Lua table literal: SHAPES[message][field] = {list, message or false}."""
    lines = ["local SHAPES = {"]
    for message in sorted(shapes):
        entries = ", ".join(
            f"[{_lua_string(name)}] = {{{'true' if is_list else 'false'}, "
            f"{_lua_string(kept) if kept else 'false'}}}"
            for name, (is_list, kept) in sorted(shapes[message].items())
        )
        lines.append(f"  [{_lua_string(message)}] = {{{entries}}},")
    lines.append("}")
    return "\n".join(lines)


def lua_source(shapes: Shapes) -> str:
    return lua_shapes(shapes) + "\n" + LUA_CHECKER.read_text(encoding="utf-8")
