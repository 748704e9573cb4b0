"""Signed ticket codes. New tickets get the compact `AT2.` form (compact_codes.py: binary ids in Base45,
small enough for a version 7 QR code); codes issued before it, `AT1.<payload>.<signature>` (Ed25519 over
the serialized TicketCodeClaims), keep verifying.

A gate holding the public key verifies a code offline. The signature proves a ticket genuine, never
unused: admission still needs the first-scan-wins update in PostgreSQL."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from apextick.tickets.v1 import ticket_pb2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from google.protobuf.message import DecodeError
from google.protobuf.timestamp_pb2 import Timestamp

from booking.adapters import compact_codes

PREFIX = "AT1"


class TicketCodeError(ValueError):
    """The code is malformed, signed by an unknown key, or its signature does not verify."""


class MalformedCodeError(TicketCodeError):
    """Not a ticket code: another format, bad encoding, or cut short."""


class UnknownKeyError(TicketCodeError):
    """Well formed, but signed by a key nobody published."""


class BadSignatureError(TicketCodeError):
    """Well formed and naming a known key, but the signature does not verify: edited or made up."""


SIGNATURE_BYTES = 64  # Ed25519


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_key_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    """A short, stable name for a public key, so gates can hold several during a rotation."""
    return hashlib.sha256(public_key_bytes(key)).hexdigest()[:16]


def load_private_key(secret: str) -> Ed25519PrivateKey:
    """The key comes from the environment as a secret string (128 bits of entropy or more, like every
    generated secret of the local stack); its SHA-256 is the 32-byte Ed25519 seed."""
    if len(secret.strip()) < 32:  # noqa: PLR2004 - 32 hex characters are 128 bits
        raise ValueError("the ticket signing secret must have at least 32 characters")
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(secret.strip().encode()).digest())


def load_public_key(raw_b64: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(_unb64(raw_b64.strip()))


@dataclass(frozen=True)
class TicketClaims:
    ticket_id: str
    event_id: str
    seat_id: str
    issued_at: datetime | None  # carried by AT1 codes only: nothing at the gate needs it
    key_id: str


class TicketSigner:
    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        self.key_id = key_id(private_key.public_key())

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self._key.public_key()

    def sign(self, ticket_id: str, event_id: str, seat_id: str, issued_at: datetime) -> str:  # noqa: ARG002
        """A compact AT2 code (issued_at is part of the ticket row, not of the code)."""
        unsigned = compact_codes.body(self.key_id, UUID(ticket_id), UUID(event_id), seat_id)
        return compact_codes.encode(unsigned, self._key.sign(compact_codes.DOMAIN + unsigned))

    def sign_v1(self, ticket_id: str, event_id: str, seat_id: str, issued_at: datetime) -> str:
        """The first code format, as tickets issued before AT2 carry it (kept to prove they verify)."""
        stamp = Timestamp()
        stamp.FromDatetime(issued_at)
        claims = ticket_pb2.TicketCodeClaims(
            ticket=f"tickets/{ticket_id}",
            event=f"events/{event_id}",
            seat_id=seat_id,
            issue_time=stamp,
            key_id=self.key_id,
        )
        payload = claims.SerializeToString(deterministic=True)
        return f"{PREFIX}.{_b64(payload)}.{_b64(self._key.sign(payload))}"


def _verify_compact(code: str, public_keys: Mapping[str, Ed25519PublicKey]) -> TicketClaims:
    try:
        claims = compact_codes.decode(code)
    except compact_codes.CompactCodeError as exc:
        raise MalformedCodeError("malformed ticket code") from exc
    named = [kid for kid in public_keys if kid.startswith(claims.key_prefix)]
    if not named:
        raise UnknownKeyError("ticket code signed by an unknown key")
    for kid in named:  # one in practice; a prefix shared by two published keys costs one more check
        try:
            public_keys[kid].verify(claims.signature, claims.signed)
        except InvalidSignature:
            continue
        return TicketClaims(str(claims.ticket_id), str(claims.event_id), claims.seat_id, None, kid)
    raise BadSignatureError("ticket code signature does not verify")


def verify(code: str, public_keys: Mapping[str, Ed25519PublicKey]) -> TicketClaims:
    """Check the signature with the key the code names; return what it says."""
    if code.startswith(compact_codes.PREFIX):
        return _verify_compact(code, public_keys)
    parts = code.split(".")
    if len(parts) != 3 or parts[0] != PREFIX:  # noqa: PLR2004 - prefix, payload, signature
        raise MalformedCodeError("not an ApexTick ticket code")
    try:
        payload, signature = _unb64(parts[1]), _unb64(parts[2])
        claims = ticket_pb2.TicketCodeClaims.FromString(payload)
    except (ValueError, DecodeError) as exc:
        raise MalformedCodeError("malformed ticket code") from exc
    if len(signature) != SIGNATURE_BYTES or not claims.key_id:
        raise MalformedCodeError("malformed ticket code")  # a truncated code, not a forgery
    key = public_keys.get(claims.key_id)
    if key is None:
        raise UnknownKeyError("ticket code signed by an unknown key")
    try:
        key.verify(signature, payload)
    except InvalidSignature as exc:
        raise BadSignatureError("ticket code signature does not verify") from exc
    return TicketClaims(
        ticket_id=claims.ticket.removeprefix("tickets/"),
        event_id=claims.event.removeprefix("events/"),
        seat_id=claims.seat_id,
        issued_at=claims.issue_time.ToDatetime(tzinfo=UTC),
        key_id=claims.key_id,
    )
