"""Notification adapters that need no server: bus message decoding, the PDF renderer (decoded back from
pixels), the file storage's keys and atomic writes, and the email's structure."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path

import pytest
from apextick.events.v1 import inventory_events_pb2 as inv

from apextick_platform.errors import DomainError
from booking.adapters.ticket_codes import TicketSigner, load_private_key, verify
from notification.adapters.bus_messages import (
    ORDER_CONFIRMED,
    Confirmed,
    Ignored,
    UnreadableMessageError,
    decode,
)
from notification.adapters.file_storage import FilePdfStorage
from notification.adapters.pdf_renderer import ReportlabTicketRenderer
from notification.adapters.smtp_mailer import build_message
from notification.domain.mail_content import tickets_mail
from notification.service_layer.ports import OutgoingMail
from tests.notification_fixtures import order_confirmed, page_count, qr_codes


@pytest.fixture(scope="module")
def signer() -> TicketSigner:
    return TicketSigner(load_private_key(secrets.token_hex(16)))


def test_an_order_confirmed_decodes_to_its_tickets(signer: TicketSigner) -> None:
    message = order_confirmed(signer, seats=2)
    decoded = decode(ORDER_CONFIRMED, message.SerializeToString())
    assert isinstance(decoded, Confirmed)
    assert decoded.event_id == message.metadata.event_id
    assert decoded.order.order_id == message.order.removeprefix("orders/")
    assert [t.ticket_id for t in decoded.order.tickets] == [
        t.ticket.removeprefix("tickets/") for t in message.tickets
    ]
    assert decoded.caused_at == message.metadata.occur_time.ToDatetime(tzinfo=UTC)


def test_unknown_unreadable_and_incomplete_messages_raise_and_known_others_are_ignored(
    signer: TicketSigner,
) -> None:
    expired = inv.HoldExpired(hold="holds/h1")
    assert decode(expired.DESCRIPTOR.full_name, expired.SerializeToString()) == Ignored(
        expired.DESCRIPTOR.full_name
    )
    with pytest.raises(UnreadableMessageError):
        decode("apextick.events.v1.Nope", b"")
    with pytest.raises(UnreadableMessageError):
        decode(ORDER_CONFIRMED, b"\xff\xff\xff")
    with pytest.raises(UnreadableMessageError):
        decode(ORDER_CONFIRMED, b"")  # parses, as an empty message: no order to name
    no_tickets = order_confirmed(signer)
    del no_tickets.tickets[:]
    with pytest.raises(DomainError):
        decode(ORDER_CONFIRMED, no_tickets.SerializeToString())
    bad_name = order_confirmed(signer)
    bad_name.order = "holds/x"
    with pytest.raises(UnreadableMessageError):
        decode(ORDER_CONFIRMED, bad_name.SerializeToString())


def test_a_rendered_ticket_is_one_page_whose_qr_verifies(signer: TicketSigner) -> None:
    message = order_confirmed(signer, seats=1)
    decoded = decode(ORDER_CONFIRMED, message.SerializeToString())
    assert isinstance(decoded, Confirmed)
    [document] = decoded.order.documents()
    renderer = ReportlabTicketRenderer()
    pdf = renderer.render(document)
    assert page_count(pdf) == 1
    [code] = qr_codes(pdf)
    claims = verify(code, {signer.key_id: signer.public_key})
    assert claims.seat_id == document.ticket.seat_id
    assert renderer.render(document) == pdf  # deterministic: a re-render writes the same bytes


def test_storage_writes_whole_files_under_safe_keys(tmp_path: Path) -> None:
    storage = FilePdfStorage(tmp_path)
    storage.put("o1/t1.pdf", b"%PDF-1")
    storage.put("o1/t1.pdf", b"%PDF-2")
    assert storage.get("o1/t1.pdf") == b"%PDF-2"
    assert storage.get("o1/none.pdf") is None
    assert [p.name for p in (tmp_path / "o1").iterdir()] == ["t1.pdf"]  # no temporary file left behind
    for key in ("../escape.pdf", "/abs.pdf", "o1/../../x.pdf", ""):
        with pytest.raises(ValueError, match="storage key"):
            storage.put(key, b"x")


def test_the_email_has_plain_html_the_pdfs_and_a_stable_message_id(signer: TicketSigner) -> None:
    decoded = decode(ORDER_CONFIRMED, order_confirmed(signer, seats=2).SerializeToString())
    assert isinstance(decoded, Confirmed)
    mail = OutgoingMail(
        "<d1@notification.apextick.dev>", "buyer@example.test", tickets_mail(decoded.order),
        [("a.pdf", b"%PDF-a"), ("b.pdf", b"%PDF-b")], {"X-ApexTick-Caused-At": datetime.now(UTC).isoformat()},
    )  # fmt: skip
    message = build_message(mail, "ApexTick <tickets@apextick.dev>")
    assert message["Message-ID"] == "<d1@notification.apextick.dev>"
    assert message.get_body(("plain",)) is not None
    assert message.get_body(("html",)) is not None
    assert [part.get_filename() for part in message.iter_attachments()] == ["a.pdf", "b.pdf"]
