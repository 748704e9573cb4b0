"""The email checker (I5: one ticket email per confirmed order) against the real consumer and a
deliberately broken one that acks a message before its side effect: a consumer that dies mid-send then
loses the email, which the checker must report. The crash is played by a handler that fails the first
attempt of every message, on the real broker, database and SMTP catcher."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from pika.adapters.blocking_connection import BlockingChannel, BlockingConnection

from booking.adapters.ticket_codes import TicketSigner
from devstack.mail_catcher import MailCatcher
from notification import bootstrap
from notification.adapters import amqp_consumer
from notification.adapters.amqp_consumer import BusConsumer, Handler, Incoming
from notification.entrypoints.consumer import message_handler
from notification.settings import NotificationSettings
from tests.faults import checkers
from tests.faults.test_broken_variants import record
from tests.notification_fixtures import (
    NotifyBus,
    notification_settings,
    order_confirmed,
    running_bus,
    wait_until,
)

pytestmark = pytest.mark.integration


class AckBeforeSend(BusConsumer):
    """BROKEN: acknowledges each message as it arrives, then does the work: a crash in between loses it."""

    def _work(
        self, connection: BlockingConnection, channel: BlockingChannel, tag: int, message: Incoming,
        in_flight: list[int],
    ) -> None:  # fmt: skip
        connection.add_callback_threadsafe(
            functools.partial(amqp_consumer._settle, channel, tag, True, in_flight)
        )
        self._attempt(message)


def dies_once(handle: Handler) -> Handler:
    """The first attempt of each message dies mid-way (as a killed process would); later ones work."""
    seen: set[str] = set()

    def attempt(message: Incoming) -> None:
        if message.message_id not in seen:
            seen.add(message.message_id)
            raise RuntimeError("the consumer died mid-send")
        handle(message)

    return attempt


@contextmanager
def consuming(settings: NotificationSettings, kind: type[BusConsumer]) -> Iterator[BusConsumer]:
    container = bootstrap.build(settings)
    try:
        with running_bus(settings, dies_once(message_handler(container.delivery)), kind) as consumer:
            yield consumer
    finally:
        container.close()


@pytest.mark.parametrize("kind", [BusConsumer, AckBeforeSend], ids=["real", "ack-before-send"])
def test_emails_other_than_one_catches_a_consumer_that_acks_before_sending(
    notification_db: str,
    amqp_url: str,
    catcher: MailCatcher,
    test_bus: NotifyBus,
    signer: TicketSigner,
    tmp_path: Path,
    kind: type[BusConsumer],
) -> None:
    settings = notification_settings(notification_db, amqp_url, catcher, tmp_path / "tickets", test_bus)
    orders = [order_confirmed(signer, seats=1) for _ in range(3)]
    with consuming(settings, kind):
        for order in orders:
            test_bus.publish(order)
        assert wait_until(lambda: test_bus.depth(test_bus.queue) == 0, timeout=20)
        # The real consumer's redeliveries send the emails; give them the time they need either way.
        wait_until(lambda: len(catcher.folder.messages()) >= len(orders), timeout=10)
    sent = [(str(mail.message["To"]), str(mail.message["Message-ID"])) for mail in catcher.folder.messages()]
    wrong = checkers.emails_other_than_one([o.buyer.email for o in orders], sent)
    record("emails_other_than_one", kind.__name__, wrong)
    assert wrong == (0 if kind is BusConsumer else len(orders))


def test_a_second_email_is_one_with_a_new_message_id() -> None:
    """The checker's rule: the same Message-ID again is a resend SMTP cannot rule out (counted apart);
    a new one is a second email."""
    resent = [("a@x.test", "<1@n>"), ("a@x.test", "<1@n>"), ("b@x.test", "<2@n>")]
    doubled = [("a@x.test", "<1@n>"), ("a@x.test", "<3@n>"), ("b@x.test", "<2@n>")]
    assert checkers.emails_other_than_one(["a@x.test", "b@x.test"], resent) == 0
    assert checkers.smtp_resends(resent) == 1
    assert checkers.emails_other_than_one(["a@x.test", "b@x.test"], doubled) == 1
    assert checkers.emails_other_than_one(["a@x.test", "c@x.test"], resent) == 1
