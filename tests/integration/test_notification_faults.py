"""The notification consumer through faults on the real broker: killed between marking an email sent and
acking its message, and a broker restart with messages queued and in flight. Neither may lose a ticket
email or send one twice (I5)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from apextick_platform import bus_topology
from booking.adapters.ticket_codes import TicketSigner
from devstack.mail_catcher import MailCatcher
from tests.e2e.edge_support import free_port
from tests.notification_fixtures import (
    NotifyBus,
    assert_tickets_mail,
    notification_settings,
    order_confirmed,
    order_refunded,
    running_consumer,
    wait_until,
)

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
# The script that runs the broker this session uses; a worktree points it at the checkout that started it.
SERVICES = Path(os.environ.get("APEXTICK_SERVICES_SCRIPT", ROOT / "scripts" / "services.sh"))


def test_a_consumer_killed_after_sending_and_before_acking_sends_no_second_email(
    notification_db: str,
    amqp_url: str,
    catcher: MailCatcher,
    test_bus: NotifyBus,
    signer: TicketSigner,
    tmp_path: Path,
) -> None:
    storage = tmp_path / "tickets"
    marker = tmp_path / "frozen"
    config = tmp_path / "consumer.json"
    env = {
        "APEXTICK_DATABASE_URL": notification_db,
        "APEXTICK_AMQP_URL": amqp_url,
        "APEXTICK_SMTP_HOST": catcher.host,
        "APEXTICK_SMTP_PORT": str(catcher.port),
        "APEXTICK_TICKET_STORAGE_DIR": str(storage),
        "APEXTICK_NOTIFICATION_DELIVERY_LIMIT": "2",
    }
    config.write_text(
        json.dumps(
            {
                "env": env,
                "queue": test_bus.queue,
                "routing_keys": test_bus.routing_keys,
                "marker": str(marker),
            }
        )
    )
    order = order_confirmed(signer, seats=2)
    command = [sys.executable, "-m", "tests.integration.notification_consumer_proc", str(config)]
    log = tmp_path / "consumer.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(command, cwd=ROOT, stdout=sink, stderr=sink)  # noqa: S603 - fixed argv
    try:
        # Generous: a cold process on a loaded CI machine imports reportlab, segno, grpc and pika first.
        # Consuming, not merely declared: between the queue's declaration and its bindings a message
        # published by the test would be routed past it.
        assert wait_until(lambda: test_bus.consumers(test_bus.queue) > 0, timeout=60), log.read_text()[-3000:]
        test_bus.publish(order)
        assert wait_until(marker.exists, timeout=60), (
            "no ack reached; consumer log:\n" + log.read_text()[-3000:]
        )
        assert len(catcher.folder.to(order.buyer.email)) == 1
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    assert marker.read_text() == order.metadata.event_id
    # The unacked message went back to the queue with the dead connection; a new consumer gets it.
    settings = notification_settings(notification_db, amqp_url, catcher, storage, test_bus)
    with running_consumer(settings) as consumer:
        assert wait_until(lambda: consumer.stats.handled == 1, timeout=20)
    assert test_bus.depth(test_bus.queue) == 0
    [mail] = catcher.folder.to(order.buyer.email)
    assert_tickets_mail(mail, order, signer)
    with psycopg.connect(notification_db) as db:
        states = db.execute(
            "SELECT state FROM notification.delivery WHERE order_id = %s",
            (order.order.removeprefix("orders/"),),
        ).fetchall()
    assert states == [("SENT",)]


def test_a_broker_restart_loses_no_ticket_email(
    notification_db: str,
    amqp_url: str,
    catcher: MailCatcher,
    test_bus: NotifyBus,
    signer: TicketSigner,
    tmp_path: Path,
) -> None:
    settings = notification_settings(
        notification_db, amqp_url, catcher, tmp_path / "tickets", test_bus, prefetch=4
    )
    bus_topology.declare_consumer_queue(
        test_bus.publisher.channel, test_bus.queue, test_bus.routing_keys, settings.redelivery.delivery_limit
    )
    managed = subprocess.run([str(SERVICES), "status", "rabbitmq"], capture_output=True, check=False)  # noqa: S603
    if managed.returncode != 0:
        pytest.fail(f"{SERVICES} does not run this broker; set APEXTICK_SERVICES_SCRIPT to the one that does")
    orders = [order_confirmed(signer, seats=1) for _ in range(30)]
    for order in orders:
        test_bus.publish(order)
    with running_consumer(settings):
        # Some handled, some in flight, most still queued when the broker goes down.
        assert wait_until(lambda: len(catcher.folder.messages()) >= 2, timeout=20)
        subprocess.run([str(SERVICES), "restart", "rabbitmq"], check=True, capture_output=True, timeout=180)  # noqa: S603
        assert wait_until(lambda: len(catcher.folder.messages()) >= len(orders), timeout=90)
    for order in orders:
        [mail] = catcher.folder.to(order.buyer.email)
        assert len(mail.pdfs()) == 1
    assert len(catcher.folder.messages()) == len(orders)


def test_a_mail_server_outage_is_waited_out_and_void_tickets_never_go_out(
    notification_db: str, amqp_url: str, test_bus: NotifyBus, signer: TicketSigner, tmp_path: Path
) -> None:
    """While SMTP is down nothing is dead-lettered (the messages are not at fault); a refund that lands
    meanwhile means the buyer gets the refund notice and never the now-void tickets."""
    catcher = MailCatcher(tmp_path / "mail", port=free_port())  # not listening yet
    settings = notification_settings(notification_db, amqp_url, catcher, tmp_path / "tickets", test_bus)
    order = order_confirmed(signer, seats=1)
    refund = order_refunded(order, voided=[order.tickets[0].ticket])
    with running_consumer(settings) as consumer:
        test_bus.publish(order)
        assert wait_until(lambda: consumer.stats.transient_retries >= 2, timeout=10)
        test_bus.publish(refund, routing_key=test_bus.routing_keys[1])
        assert wait_until(lambda: consumer.stats.transient_retries >= 6, timeout=10)
        catcher.start()
        try:
            assert wait_until(lambda: consumer.stats.handled == 2, timeout=20)
        finally:
            catcher.stop()
        assert consumer.stats.returned == consumer.stats.dead_lettered == 0
    [mail] = catcher.folder.to(order.buyer.email)
    assert "Refund" in str(mail.message["Subject"])
    with psycopg.connect(notification_db) as db:
        states = db.execute(
            "SELECT kind, state FROM notification.delivery WHERE order_id = %s ORDER BY kind",
            (order.order.removeprefix("orders/"),),
        ).fetchall()
    assert states == [("REFUND_NOTICE", "SENT"), ("TICKETS", "FAILED")]
