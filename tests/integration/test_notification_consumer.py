"""The notification consumer against real PostgreSQL, RabbitMQ and SMTP (aiosmtpd): an OrderConfirmed
on the events exchange becomes one email with one verifiable QR PDF per ticket, exactly once."""

from __future__ import annotations

from pathlib import Path

import pytest

from booking.adapters.ticket_codes import TicketSigner
from devstack.mail_catcher import MailCatcher
from tests.notification_fixtures import (
    NotifyBus,
    assert_tickets_mail,
    notification_settings,
    order_confirmed,
    running_consumer,
)

pytestmark = pytest.mark.integration


def test_an_order_confirmed_becomes_one_email_with_a_verifiable_pdf_per_ticket(
    notification_db: str, amqp_url: str, catcher: MailCatcher, test_bus: NotifyBus, signer: TicketSigner, tmp_path: Path
) -> None:
    settings = notification_settings(notification_db, amqp_url, catcher, tmp_path / "tickets", test_bus)
    order = order_confirmed(signer, seats=3)
    with running_consumer(settings):
        test_bus.publish(order)
        [mail] = catcher.wait_for(order.buyer.email)
    assert_tickets_mail(mail, order, signer)
    assert order.order_reference in str(mail.message["Subject"])
    body = mail.message.get_body(("plain",))
    html = mail.message.get_body(("html",))
    assert body is not None and "Monsoon Beats" in body.get_content()
    assert html is not None and "Nimali Perera" in html.get_content()
