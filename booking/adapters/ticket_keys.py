"""The published ticket key set: the signer's current key plus retired ones, so a rotation keeps every
ticket already issued valid. It reads codes for the gate (TicketCodeReader)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from apextick_platform.errors import DomainError, ErrorCode, FieldViolation
from booking.adapters.ticket_codes import (
    BadSignatureError,
    MalformedCodeError,
    UnknownKeyError,
    key_id,
    public_key_bytes,
    verify,
)
from booking.service_layer.gate_ports import CodeReading, PublicKey


def _refused(code: ErrorCode, description: str) -> DomainError:
    return DomainError(code, f"code: {description}", violations=[FieldViolation("code", description)])


class TicketKeyRing:
    def __init__(self, current: Ed25519PublicKey, retired: Iterable[Ed25519PublicKey] = ()) -> None:
        self.current_key_id = key_id(current)
        self._keys = {key_id(key): key for key in (current, *retired)}

    @property
    def keys(self) -> Mapping[str, Ed25519PublicKey]:
        return dict(self._keys)

    def published(self) -> list[PublicKey]:
        return [
            PublicKey(kid, public_key_bytes(key), kid == self.current_key_id)
            for kid, key in self._keys.items()
        ]

    def read(self, code: str) -> CodeReading:
        try:
            claims = verify(code.strip(), self._keys)
            return CodeReading(genuine=True, ticket_id=UUID(claims.ticket_id), event_id=UUID(claims.event_id))
        except BadSignatureError:
            return CodeReading(genuine=False)
        except UnknownKeyError:
            raise _refused(
                ErrorCode.TICKET_CODE_KEY_UNKNOWN, "signed by a key ApexTick never published"
            ) from None
        except (MalformedCodeError, ValueError):
            raise _refused(ErrorCode.TICKET_CODE_MALFORMED, "not a complete ApexTick ticket code") from None
