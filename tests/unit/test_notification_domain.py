"""Pure rules of the notification service: ticket documents, mail content, delivery ids, the resend
limit and the redelivery backoff."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from apextick_platform.errors import DomainError, ErrorCode
from notification.domain.delivery import Delivery, DeliveryKind, DeliveryState, delivery_id
from notification.domain.mail_content import refund_mail, tickets_mail
from notification.domain.redelivery import RedeliveryPolicy
from notification.domain.resend_policy import ResendPolicy
from notification.domain.tickets import Buyer, EventInfo, OrderTickets, RefundNotice, TicketLine, format_money

NOW = datetime(2027, 3, 1, 13, 30, tzinfo=UTC)
EVENT = EventInfo("e1", "Monsoon Beats", "Galle Face Arena", "Colombo", NOW, "Asia/Colombo")
BUYER = Buyer("sub-1", "Nimali <b>Perera</b>", "nimali@example.test")


def line(n: int = 1) -> TicketLine:
    return TicketLine(
        f"t{n}", f"floor-A-{n}", "Floor", "A", str(n), "vip", "VIP", 2_500_000, f"AT1.code{n}.sig"
    )


def order(*lines: TicketLine) -> OrderTickets:
    return OrderTickets("o1", "AT-7K3Q9XPD", BUYER, EVENT, lines or (line(),), 2_500_000, "LKR")


def test_a_ticket_prints_the_venue_local_time() -> None:
    assert EVENT.local_start().hour == 19  # Colombo is UTC+05:30
    assert "19:00" in EVENT.when()
    unknown = replace(EVENT, time_zone="Mars/Olympus")
    assert unknown.local_start().utcoffset() == timedelta(0)


def test_an_order_without_what_a_ticket_must_show_is_refused_field_by_field() -> None:
    with pytest.raises(DomainError) as raised:
        OrderTickets("o1", "", replace(BUYER, email="nobody"), EVENT, (replace(line(), code=""),), 0, "LKR")
    assert raised.value.code is ErrorCode.INVALID_ARGUMENT
    fields = {v.field for v in raised.value.violations}
    assert fields == {"order_reference", "buyer.email", "tickets[0].code"}


def test_no_tickets_a_duplicate_ticket_or_a_line_break_in_a_name_is_refused() -> None:
    with pytest.raises(DomainError):
        OrderTickets("o1", "R", BUYER, EVENT, (), 0, "LKR")
    with pytest.raises(DomainError):
        order(line(1), line(1))
    injected = replace(BUYER, display_name="a\r\nBcc: x")
    with pytest.raises(DomainError):
        OrderTickets("o1", "R", injected, EVENT, (line(),), 0, "LKR")


def test_each_ticket_becomes_one_document_with_the_holder_and_reference() -> None:
    documents = order(line(1), line(2)).documents()
    assert [d.ticket.seat_id for d in documents] == ["floor-A-1", "floor-A-2"]
    assert {(d.holder, d.order_reference) for d in documents} == {(BUYER.display_name, "AT-7K3Q9XPD")}


def test_money_uses_the_currency_minor_unit() -> None:
    assert format_money(2_500_000, "LKR") == "LKR 25,000.00"
    assert format_money(5000, "JPY") == "JPY 5,000"


def test_the_tickets_mail_escapes_names_in_html_and_lists_every_seat() -> None:
    content = tickets_mail(order(line(1), line(2)))
    assert "AT-7K3Q9XPD" in content.subject
    assert "<b>Perera</b>" not in content.html
    assert "&lt;b&gt;Perera&lt;/b&gt;" in content.html
    assert content.plain.count("Section Floor, row A") == 2
    assert tickets_mail(order(), resend=True).subject.startswith("Again:")


def test_the_refund_mail_marks_known_and_unknown_tickets_void() -> None:
    notice = RefundNotice("o1", "AT-1", BUYER, EVENT, ("t1", "t9"), 2_500_000, "LKR", "LATE_PAYMENT")
    content = refund_mail(notice, [line(1)])
    assert "LKR 25,000.00" in content.plain
    assert "VOID: Section Floor, row A, seat 1" in content.plain
    assert "VOID: ticket t9" in content.plain
    assert content.html.count("VOID") >= 2


def test_a_delivery_id_depends_only_on_its_cause() -> None:
    event = str(uuid.uuid4())
    assert delivery_id(DeliveryKind.TICKETS, event) == delivery_id(DeliveryKind.TICKETS, event)
    assert delivery_id(DeliveryKind.TICKETS, event) != delivery_id(DeliveryKind.REFUND_NOTICE, event)
    mail = Delivery(delivery_id(DeliveryKind.TICKETS, event), "o1", DeliveryKind.TICKETS,
                    DeliveryState.PENDING, "a@b", 1, NOW, NOW)  # fmt: skip
    assert mail.message_id == f"<{mail.id}@notification.apextick.dev>"
    assert mail.sent(NOW).is_final
    assert mail.failed("550 no such user").state is DeliveryState.FAILED


def test_resends_are_limited_by_interval_and_by_window() -> None:
    policy = ResendPolicy(max_per_window=3, window=timedelta(hours=1), min_interval=timedelta(seconds=60))
    policy.check([], NOW)
    with pytest.raises(DomainError) as raised:
        policy.check([NOW - timedelta(seconds=10)], NOW)
    assert raised.value.code is ErrorCode.RESEND_LIMITED
    assert raised.value.metadata["retry_after_seconds"] == "50"
    three = [NOW - timedelta(minutes=m) for m in (50, 30, 10)]
    with pytest.raises(DomainError) as raised:
        policy.check(three, NOW)
    assert raised.value.metadata["retry_after_seconds"] == "600"  # when the 50-minute-old one leaves
    policy.check([NOW - timedelta(hours=2), *three[1:]], NOW)


def test_redelivery_backs_off_exponentially_with_a_cap_and_knows_the_last_attempt() -> None:
    policy = RedeliveryPolicy(delivery_limit=3, base_seconds=0.5, cap_seconds=3)
    assert [policy.backoff(n) for n in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert [policy.is_last_attempt(n) for n in range(5)] == [False, False, False, True, True]
