"""The words of each email, as a plain body and an HTML body that say the same thing. Every value from an
event is escaped before it enters the HTML: a buyer's name is input, not markup."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from notification.domain.tickets import OrderTickets, RefundNotice, TicketLine, format_money


@dataclass(frozen=True)
class MailContent:
    subject: str
    plain: str
    html: str


def _html_page(title: str, paragraphs: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    table = ""
    if rows:
        cells = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
        table = f'<table border="1" cellpadding="4" cellspacing="0">{cells}</table>'
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{escape(title)}</title></head>'
        f"<body>{body}{table}</body></html>"
    )


def _ticket_row(line: TicketLine, *, void: bool = False) -> list[str]:
    row = [line.section, line.row, line.seat_label, line.tier_name or line.tier_id]
    return [*row, "VOID"] if void else row


def tickets_mail(order: OrderTickets, *, resend: bool = False) -> MailContent:
    event = order.event
    count = len(order.tickets)
    noun = "ticket" if count == 1 else "tickets"
    subject = f"Your {noun} for {event.display_name} ({order.reference})"
    if resend:
        subject = f"Again: {subject[0].lower()}{subject[1:]}"
    intro = f"Hello {order.holder},"
    summary = (
        f"here {'is your' if count == 1 else f'are your {count}'} {noun} for {event.display_name} "
        f"at {event.where()}, {event.when()}. Order {order.reference}, "
        f"paid {format_money(order.total_minor, order.currency_code)}."
    )
    gate = "Each PDF attached is one ticket: show its QR code at the gate, on paper or on screen."
    lines = [f"  - {line.seat_text()} ({line.tier_name or line.tier_id})" for line in order.tickets]
    plain = "\n".join([intro, "", summary, "", *lines, "", gate, ""])
    html = _html_page(
        subject,
        [escape(intro), escape(summary), escape(gate)],
        [["Section", "Row", "Seat", "Tier"], *(_ticket_row(line) for line in order.tickets)],
    )
    return MailContent(subject, plain, html)


# Why, in the buyer's words; reasons this service does not know yet get no sentence rather than a code.
REASON_TEXT = {
    "EVENT_CANCELLED": "The event was cancelled by its organizer.",
    "LATE_PAYMENT": "Your payment arrived after the seats were released.",
    "CUSTOMER_REQUEST": "You asked for this refund.",
    "ORGANIZER_REFUND": "The organizer refunded your order.",
    "ADMIN_REFUND": "ApexTick support refunded your order.",
}


def refund_mail(notice: RefundNotice, voided: Sequence[TicketLine]) -> MailContent:
    """`voided` are the tickets we issued for the order and know the seats of (none if the order was
    refunded before it was ever ticketed)."""
    event = notice.event
    title = event.display_name or "your order"
    subject = f"Refund for {title} ({notice.reference or notice.order_id})"
    intro = f"Hello {notice.buyer.display_name or notice.buyer.email},"
    summary = (
        f"we refunded {format_money(notice.amount_minor, notice.currency_code)} for order "
        f"{notice.reference or notice.order_id} ({title}). {REASON_TEXT.get(notice.reason, '')}"
    ).strip()
    void_text = (
        "The tickets below are VOID: they will not be admitted at the gate."
        if notice.voided_ticket_ids
        else "No tickets had been issued for this order."
    )
    lines = [f"  - VOID: {line.seat_text()}" for line in voided]
    lines += [f"  - VOID: ticket {ticket}" for ticket in _unknown(notice, voided)]
    plain = "\n".join([intro, "", summary, void_text, "", *lines, ""])
    rows = [_ticket_row(line, void=True) for line in voided]
    rows += [["", "", ticket, "", "VOID"] for ticket in _unknown(notice, voided)]
    header = [["Section", "Row", "Seat", "Tier", "Status"]] if rows else []
    html = _html_page(subject, [escape(intro), escape(summary), escape(void_text)], [*header, *rows])
    return MailContent(subject, plain, html)


def _unknown(notice: RefundNotice, voided: Sequence[TicketLine]) -> list[str]:
    known = {line.ticket_id for line in voided}
    return [ticket for ticket in notice.voided_ticket_ids if ticket not in known]
