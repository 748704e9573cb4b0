"""A message that failed its last attempt is counted, logged and parked in the dead-letter queue; once
its cause is fixed it is replayed into its consumer's queue and handled like new, exactly once."""

from __future__ import annotations

from pathlib import Path

from apextick_platform import bus_topology
from booking.adapters.ticket_codes import TicketSigner
from devstack.mail_catcher import MailCatcher
from notification.adapters.amqp_consumer import Incoming
from notification.adapters.dead_letters import RabbitDeadLetters, replay_dead_letters
from notification.service_layer.dead_letter_admin import DeadLetterAdmin
from tests.notification_fixtures import (
    NotifyBus,
    notification_settings,
    order_confirmed,
    running_bus,
    running_consumer,
    wait_until,
)


def broken_handler(message: Incoming) -> None:
    raise RuntimeError("a template bug in this release")  # every message fails, like a bad deploy


def test_a_dead_letter_is_replayed_once_its_cause_is_fixed(
    notification_db: str,
    amqp_url: str,
    catcher: MailCatcher,
    test_bus: NotifyBus,
    signer: TicketSigner,
    tmp_path: Path,
) -> None:
    settings = notification_settings(notification_db, amqp_url, catcher, tmp_path / "tickets", test_bus)
    dead = bus_topology.dead_letter_queue(test_bus.queue)
    order = order_confirmed(signer, seats=1)
    with running_bus(settings, broken_handler) as broken:
        test_bus.publish(order)
        assert wait_until(lambda: test_bus.depth(dead) == 1, timeout=20)  # retried, then parked
        assert broken.stats.dead_lettered == 1  # counted (and logged with its reason)
    assert catcher.folder.messages() == []
    # The fix is deployed: the parked message goes back to its queue, once.
    assert replay_dead_letters(amqp_url, test_bus.queue) == 1
    assert replay_dead_letters(amqp_url, test_bus.queue) == 0
    with running_consumer(settings):
        catcher.wait_for(order.buyer.email)
        assert wait_until(lambda: test_bus.depth(test_bus.queue) == 0, timeout=10)
    assert test_bus.depth(dead) == 0
    assert [m.message["To"] for m in catcher.folder.messages()] == [order.buyer.email]


def test_admins_inspect_and_replay_chosen_dead_letters(
    notification_db: str,
    amqp_url: str,
    catcher: MailCatcher,
    test_bus: NotifyBus,
    signer: TicketSigner,
    tmp_path: Path,
) -> None:
    settings = notification_settings(notification_db, amqp_url, catcher, tmp_path / "tickets", test_bus)
    dead = bus_topology.dead_letter_queue(test_bus.queue)
    admin = DeadLetterAdmin(RabbitDeadLetters(amqp_url, test_bus.queue))
    with running_bus(settings, broken_handler):
        first, second = (test_bus.publish(order_confirmed(signer, seats=1)) for _ in range(2))
        assert wait_until(lambda: test_bus.depth(dead) == 2, timeout=30)
    parked = admin.list(10)
    assert sorted(p.message_id for p in parked) == sorted([first, second])
    assert {(p.reason, p.routing_key) for p in parked} == {("delivery_limit", test_bus.routing_keys[0])}
    assert all(p.size_bytes > 0 and p.death_count >= 1 for p in parked)
    assert test_bus.depth(dead) == 2  # inspecting took nothing
    assert admin.replay([first]) == 1
    assert admin.replay([first]) == 0  # a retried replay moves nothing twice
    assert [p.message_id for p in admin.list(10)] == [second]
    assert test_bus.depth(test_bus.queue) == 1
    assert admin.replay([]) == 1
    assert test_bus.depth(dead) == 0
