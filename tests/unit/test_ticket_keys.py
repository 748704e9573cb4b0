"""The published key set: a rotation keeps old tickets verifying, and every refusal has its reason."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from apextick_platform.errors import DomainError, ErrorCode
from booking.adapters.ticket_codes import TicketSigner, load_private_key
from booking.adapters.ticket_keys import TicketKeyRing

OLD = TicketSigner(load_private_key("old-secret-" + "0" * 32))
NEW = TicketSigner(load_private_key("new-secret-" + "1" * 32))


def code(signer: TicketSigner) -> str:
    return signer.sign(str(uuid.uuid4()), str(uuid.uuid4()), "main-A-1", datetime.now(UTC))


def test_a_rotation_keeps_the_retired_key_s_tickets_valid() -> None:
    ring = TicketKeyRing(NEW.public_key, [OLD.public_key])
    assert ring.read(code(OLD)).genuine
    assert ring.read(code(NEW)).genuine
    assert [(k.key_id, k.current) for k in ring.published()] == [(NEW.key_id, True), (OLD.key_id, False)]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("hello", ErrorCode.TICKET_CODE_MALFORMED),
        (code(NEW)[:-10], ErrorCode.TICKET_CODE_MALFORMED),
        ("AT1.!!!.???", ErrorCode.TICKET_CODE_MALFORMED),
        (code(OLD), ErrorCode.TICKET_CODE_KEY_UNKNOWN),
    ],
)
def test_codes_that_are_not_ours_are_refused_with_a_reason(text: str, reason: ErrorCode) -> None:
    with pytest.raises(DomainError) as refused:
        TicketKeyRing(NEW.public_key).read(text)
    assert refused.value.code is reason
    assert refused.value.violations[0].field == "code"


def test_an_edited_signature_is_a_forgery_not_an_error() -> None:
    prefix, payload, signature = NEW.sign_v1(
        str(uuid.uuid4()), str(uuid.uuid4()), "A-1", datetime.now(UTC)
    ).split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    assert not TicketKeyRing(NEW.public_key).read(f"{prefix}.{payload}.{flipped}").genuine
