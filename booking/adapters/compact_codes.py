"""Compact ticket codes, `AT2.<base45>`: binary ids instead of resource names, in Base45 (RFC 9285),
whose 45 characters are exactly QR's alphanumeric set, so a QR code packs 5.5 bits per character instead
of 8 (byte mode). A code with a seat id of up to 14 characters fits a version 7 QR at error level M.

Layout of the decoded bytes: key id prefix (4) | ticket id (16) | event id (16) | seat length (1) |
seat id (UTF-8) | Ed25519 signature (64) over DOMAIN and everything before the signature."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

PREFIX = "AT2."
DOMAIN = b"apextick-ticket-code-v2:"  # a v2 signature can never be replayed as anything else
KEY_PREFIX_BYTES = 4
SIGNATURE_BYTES = 64
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_VALUE = {c: n for n, c in enumerate(ALPHABET)}
_FIXED = KEY_PREFIX_BYTES + 16 + 16 + 1


class CompactCodeError(ValueError):
    """Not a well-formed compact code."""


def b45encode(data: bytes) -> str:
    out = []
    for i in range(0, len(data) - 1, 2):
        n = data[i] * 256 + data[i + 1]
        c, n = n % 45, n // 45
        out += [ALPHABET[c], ALPHABET[n % 45], ALPHABET[n // 45]]
    if len(data) % 2:
        out += [ALPHABET[data[-1] % 45], ALPHABET[data[-1] // 45]]
    return "".join(out)


def b45decode(text: str) -> bytes:
    try:
        values = [_VALUE[c] for c in text]
    except KeyError:
        raise CompactCodeError("not Base45") from None
    if len(values) % 3 == 1:
        raise CompactCodeError("truncated Base45")
    out = bytearray()
    for i in range(0, len(values), 3):
        chunk = values[i : i + 3]
        n = sum(v * 45**k for k, v in enumerate(chunk))
        if (len(chunk) == 3 and n > 0xFFFF) or (len(chunk) == 2 and n > 0xFF):  # noqa: PLR2004
            raise CompactCodeError("Base45 value out of range")
        out += n.to_bytes(len(chunk) - 1, "big")
    return bytes(out)


@dataclass(frozen=True)
class CompactClaims:
    key_prefix: str  # the first 8 hex digits of the signing key's id
    ticket_id: UUID
    event_id: UUID
    seat_id: str
    signed: bytes  # what the signature covers
    signature: bytes


def body(key_id: str, ticket_id: UUID, event_id: UUID, seat_id: str) -> bytes:
    seat = seat_id.encode()
    if len(seat) > 255:  # noqa: PLR2004 - one length byte
        raise ValueError("seat id too long for a ticket code")
    prefix = bytes.fromhex(key_id)[:KEY_PREFIX_BYTES]
    return prefix + ticket_id.bytes + event_id.bytes + bytes([len(seat)]) + seat


def encode(unsigned: bytes, signature: bytes) -> str:
    return PREFIX + b45encode(unsigned + signature)


def decode(code: str) -> CompactClaims:
    data = b45decode(code.removeprefix(PREFIX))
    if len(data) < _FIXED + SIGNATURE_BYTES:
        raise CompactCodeError("code too short")
    seat_end = _FIXED + data[_FIXED - 1]
    if len(data) != seat_end + SIGNATURE_BYTES:
        raise CompactCodeError("code length does not match its seat")
    try:
        seat = data[_FIXED:seat_end].decode()
    except UnicodeDecodeError:
        raise CompactCodeError("seat id is not UTF-8") from None
    return CompactClaims(
        key_prefix=data[:KEY_PREFIX_BYTES].hex(),
        ticket_id=UUID(bytes=data[KEY_PREFIX_BYTES : KEY_PREFIX_BYTES + 16]),
        event_id=UUID(bytes=data[KEY_PREFIX_BYTES + 16 : KEY_PREFIX_BYTES + 32]),
        seat_id=seat,
        signed=DOMAIN + data[:seat_end],
        signature=data[seat_end:],
    )
