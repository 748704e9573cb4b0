"""Offline verification of a ticket code against an offline bundle (GateService.GetOfflineBundle, saved
as JSON): what a gate with no network can decide. It reads the code formats the contract documents
(ticket.proto, TicketCodeClaims), never the booking service's code: the compact `AT2.<base45>` of
today's tickets and `AT1.<payload>.<signature>` of the first ones."""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from enum import StrEnum

from apextick.gates.v1 import gate_service_pb2 as gsv
from apextick.tickets.v1 import ticket_pb2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from google.protobuf import json_format
from google.protobuf.message import DecodeError

SIGNATURE_BYTES = 64
BASE45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
AT2_DOMAIN = b"apextick-ticket-code-v2:"
AT2_FIXED = 4 + 16 + 16 + 1  # key id prefix, ticket, event, seat length


class Verdict(StrEnum):
    VALID = "VALID"  # genuine, of this event, not void, not admitted when the bundle was made
    ADMITTED_BEFORE = "ADMITTED_BEFORE"  # admitted before the bundle was made: a duplicate
    VOID = "VOID"
    WRONG_EVENT = "WRONG_EVENT"
    FORGED = "FORGED"  # the signature does not verify
    NOT_IN_BUNDLE = "NOT_IN_BUNDLE"  # genuine but newer than the bundle: fetch a fresh one
    KEY_UNKNOWN = "KEY_UNKNOWN"  # signed by a key the bundle does not list
    MALFORMED = "MALFORMED"  # not a ticket code


@dataclass(frozen=True)
class OfflineVerdict:
    verdict: Verdict
    ticket: str = ""
    seat_id: str = ""


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def load_bundle(text: str) -> gsv.OfflineBundle:
    """The bundle as the REST edge or grpcurl prints GetOfflineBundle's answer (protobuf JSON), or the
    bundle message alone."""
    answer = json_format.Parse(text, gsv.GetOfflineBundleResponse(), ignore_unknown_fields=True)
    if answer.HasField("bundle"):
        return answer.bundle
    return json_format.Parse(text, gsv.OfflineBundle(), ignore_unknown_fields=True)


def _b45decode(text: str) -> bytes | None:
    if any(c not in BASE45 for c in text) or len(text) % 3 == 1:
        return None
    out = bytearray()
    for i in range(0, len(text), 3):
        chunk = text[i : i + 3]
        n = sum(BASE45.index(c) * 45**k for k, c in enumerate(chunk))
        if n >= 256 ** (len(chunk) - 1):
            return None
        out += n.to_bytes(len(chunk) - 1, "big")
    return bytes(out)


def _compact(code: str) -> tuple[ticket_pb2.TicketCodeClaims, bytes, bytes] | None:
    """An AT2 code as the claims it carries (key_id holds the key id's 8-hex-digit prefix)."""
    data = _b45decode(code.removeprefix("AT2."))
    if data is None or len(data) < AT2_FIXED + SIGNATURE_BYTES:
        return None
    end = AT2_FIXED + data[AT2_FIXED - 1]
    if len(data) != end + SIGNATURE_BYTES:
        return None
    try:
        seat = data[AT2_FIXED:end].decode()
    except UnicodeDecodeError:
        return None
    claims = ticket_pb2.TicketCodeClaims(
        ticket=f"tickets/{uuid.UUID(bytes=data[4:20])}", event=f"events/{uuid.UUID(bytes=data[20:36])}",
        seat_id=seat, key_id=data[:4].hex(),
    )  # fmt: skip
    return claims, AT2_DOMAIN + data[:end], data[end:]


def _claims(code: str) -> tuple[ticket_pb2.TicketCodeClaims, bytes, bytes] | None:
    if code.strip().startswith("AT2."):
        return _compact(code.strip())
    parts = code.strip().split(".")
    if len(parts) != 3 or parts[0] != "AT1":  # noqa: PLR2004 - prefix, payload, signature
        return None
    try:
        payload, signature = _unb64(parts[1]), _unb64(parts[2])
        claims = ticket_pb2.TicketCodeClaims.FromString(payload)
    except (ValueError, binascii.Error, DecodeError):
        return None
    if len(signature) != SIGNATURE_BYTES or not claims.key_id:
        return None
    return claims, payload, signature


def _signature(claims: ticket_pb2.TicketCodeClaims, payload: bytes, signature: bytes,
               bundle: gsv.OfflineBundle) -> Verdict | None:  # fmt: skip
    """KEY_UNKNOWN or FORGED, or None for a genuine code."""
    key = next((k for k in bundle.keys if k.key_id.startswith(claims.key_id)), None)
    if key is None:
        return Verdict.KEY_UNKNOWN
    try:
        Ed25519PublicKey.from_public_bytes(_unb64(key.public_key)).verify(signature, payload)
    except (InvalidSignature, ValueError):
        return Verdict.FORGED
    return None


def verify_offline(code: str, bundle: gsv.OfflineBundle) -> OfflineVerdict:
    read = _claims(code)
    if read is None:
        return OfflineVerdict(Verdict.MALFORMED)
    claims, payload, signature = read
    refused = _signature(claims, payload, signature, bundle)
    if refused is not None:
        return OfflineVerdict(refused)
    if claims.event != bundle.event:
        return OfflineVerdict(Verdict.WRONG_EVENT, claims.ticket)
    if claims.ticket in set(bundle.void_tickets):
        return OfflineVerdict(Verdict.VOID, claims.ticket, claims.seat_id)
    ticket = next((t for t in bundle.tickets if t.ticket == claims.ticket), None)
    if ticket is None:
        return OfflineVerdict(Verdict.NOT_IN_BUNDLE, claims.ticket, claims.seat_id)
    verdict = Verdict.ADMITTED_BEFORE if ticket.admitted else Verdict.VALID
    return OfflineVerdict(verdict, claims.ticket, ticket.seat_id)
