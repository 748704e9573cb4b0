"""The purchase path's fault run (short profile, part of `make test`). Seeded buyers, each a new
customer, hold seats, check out with Stripe (stripe-mock stands in for its API) and have the provider's
signed webhook arrive, sometimes twice, all through the booking server's public gRPC interface, while
the real relay publishes to RabbitMQ and the real notification consumer emails the tickets to an SMTP
catcher. Faults come from outside, by pid or through the services script:

- SIGKILL of the relay, of the notification consumer, of the notification server and of the booking
  server, each restarted;
- PostgreSQL stopped in immediate mode (every backend gone at once, crash recovery on start);
- RabbitMQ stopped and started.

Clients behave as real ones do: a call that ends in UNAVAILABLE or a deadline is retried with the same
request id, and the provider retries its webhook until it is acknowledged. Then the run heals and
quiesces (outbox published, queue empty, no delivery pending) and checks against PostgreSQL, the
catcher and its own history: seats held or sold twice, acknowledged payments lost, paid orders left
unconfirmed (I4), confirmed orders with other than one email (I5), internal errors. The report
(var/reports/fault-purchase-short.json, or -long) holds the seed, the faults, their recovery times
and the figures."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import grpc
import pika
import psycopg
import pytest
from apextick.catalog.v1 import catalog_service_pb2_grpc as catalog_grpc
from apextick.inventory.v1 import inventory_service_pb2 as inv
from apextick.inventory.v1 import inventory_service_pb2_grpc as inventory_grpc
from apextick.orders.v1 import order_pb2
from apextick.orders.v1 import order_service_pb2 as osv
from apextick.orders.v1 import order_service_pb2_grpc as order_grpc
from apextick.payments.v1 import webhook_service_pb2_grpc as webhook_grpc
from pika.adapters.blocking_connection import BlockingConnection

from apextick_platform import bus_topology
from booking.domain.venue import row_label
from devstack.identity import DemoUser, JwksServer, SigningKey, access_claims
from devstack.mail_catcher import MailCatcher
from tests.e2e.checkout_support import booked_twice, send_stripe
from tests.e2e.payment_support import (
    STRIPE_WEBHOOK_SECRET,
    running_stripe_mock,
    session_completed,
    stripe_event,
    stripe_signature,
)
from tests.e2e.support import build_event
from tests.faults import checkers
from tests.faults.profile import BUYERS, PROFILE, ROUNDS
from tests.faults.stack import ROOT, SERVICES, Stack, listening, services
from tests.faults.test_fault_run import UNKNOWN, identity, token

if TYPE_CHECKING:
    Inventory = inventory_grpc.InventoryServiceAsyncStub
    Orders = order_grpc.OrderServiceAsyncStub
    Webhooks = webhook_grpc.PaymentWebhookServiceAsyncStub

# The long profile's ten rounds take longer than the suite's default per-test limit.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(240 * ROUNDS)]
__all__ = ["identity"]  # a fixture, used by name

SEED = int.from_bytes(uuid.uuid4().bytes[:4], "big")
T = TypeVar("T")
ROWS = 10 * ROUNDS  # of 12 seats: a round sells about a hundred, and the sale must not sell out


@dataclass
class History:
    outcomes: Counter[str] = field(default_factory=Counter)
    paid_acknowledged: set[str] = field(default_factory=set)  # order ids the provider was told "ok" for
    buyer_of: dict[str, str] = field(default_factory=dict)  # order id -> the buyer's email
    faults: list[dict[str, object]] = field(default_factory=list)
    last_answer: float = 0.0  # the last definitive answer (a success or a clean refusal)

    def fault(self, name: str, started: float, **figures: object) -> dict[str, object]:
        entry = {"fault": name, "at_s": round(time.monotonic() - started, 2), **figures}
        self.faults.append(entry)
        return entry


@dataclass(frozen=True)
class Clients:
    inventory: Inventory
    orders: Orders
    webhooks: Webhooks


async def retrying(history: History, name: str, call: Callable[[], Awaitable[T]]) -> T | None:
    """What a real client does: the same request again while the answer is 'maybe'; None if refused."""
    for _ in range(80):
        try:
            result = await call()
        except grpc.aio.AioRpcError as error:
            if error.code() not in UNKNOWN:
                history.outcomes[f"{name}:fail:{error.code().name}"] += 1
                history.last_answer = time.monotonic()
                return None
            history.outcomes[f"{name}:unknown:{error.code().name}"] += 1
            await asyncio.sleep(0.25)
            continue
        history.outcomes[f"{name}:ok"] += 1
        history.last_answer = time.monotonic()
        return result
    history.outcomes[f"{name}:gave-up"] += 1
    return None


def buyer(identity: tuple[JwksServer, SigningKey]) -> tuple[tuple[tuple[str, str], ...], str]:
    server, key = identity
    user = DemoUser(f"buyer-{uuid.uuid4().hex[:10]}", ("customer",))
    bearer = key.sign(access_claims(user, server.issuer))
    return (("authorization", f"Bearer {bearer}"),), f"{user.username}@apextick.dev"


async def pay(clients: Clients, order: order_pb2.Order, history: History, rng: random.Random) -> None:
    """The provider's side: the signed webhook, retried until acknowledged, sometimes sent twice."""
    body = stripe_event("checkout.session.completed", session_completed(order, f"pi_{uuid.uuid4().hex[:12]}"))
    for _ in range(2 if rng.random() < 0.3 else 1):
        # Signed at each attempt, as the provider does (the signature carries its time).
        sent = await retrying(
            history, "webhook", lambda: send_stripe(clients.webhooks, body, stripe_signature(body))
        )
        if sent is not None:
            history.paid_acknowledged.add(order.name.removeprefix("orders/"))
        await asyncio.sleep(rng.uniform(0.05, 0.5))


async def purchase(
    clients: Clients, identity: tuple[JwksServer, SigningKey], event: str, seats: list[str],
    history: History, rng: random.Random,
) -> bool:  # fmt: skip
    """One new buyer's hold, checkout and (mostly) payment; False if the hold was refused. Each
    request is built once, so every retry carries the same request id."""
    auth, email = buyer(identity)
    hold = inv.HoldSeatsRequest(
        event=event, seat_ids=rng.sample(seats, rng.choice([1, 1, 2])), request_id=str(uuid.uuid4())
    )
    held = await retrying(
        history, "hold", partial(clients.inventory.HoldSeats, hold, metadata=auth, timeout=3)
    )
    if held is None:
        return False
    checkout = osv.CheckoutRequest(
        hold=held.hold.name, provider=order_pb2.PAYMENT_PROVIDER_STRIPE, request_id=str(uuid.uuid4())
    )
    ordered = await retrying(
        history, "checkout", partial(clients.orders.Checkout, checkout, metadata=auth, timeout=5)
    )
    if ordered is not None:
        history.buyer_of[ordered.order.name.removeprefix("orders/")] = email
        if rng.random() < 0.85:  # some buyers walk away from the payment page
            await pay(clients, ordered.order, history, rng)
    return True


async def buyer_loop(
    clients: Clients, identity: tuple[JwksServer, SigningKey], event: str, seats: list[str],
    history: History, rng: random.Random, finished: asyncio.Event,
) -> None:  # fmt: skip
    while not finished.is_set():
        if not await purchase(clients, identity, event, seats, history, rng):
            await asyncio.sleep(rng.uniform(0.05, 0.2))


async def kill_and_restart(stack: Stack, role: str, history: History, started: float) -> None:
    stack.kill(role)
    await asyncio.sleep(0.5)
    listen_s = await asyncio.to_thread(stack.start, role)
    history.fault(f"sigkill {role}", started, restart_s=round(listen_s, 2))


async def recovered(history: History, since: float, entry: dict[str, object]) -> None:
    """The seconds from a fault until the next definitive answer to any buyer (a refusal counts: it
    is the server's own answer; UNAVAILABLE and deadlines do not)."""
    deadline = time.monotonic() + 30
    while history.last_answer <= since and time.monotonic() < deadline:  # noqa: ASYNC110 - polling a figure
        await asyncio.sleep(0.05)
    entry["recovery_s"] = round(history.last_answer - since, 2) if history.last_answer > since else None


async def mail_flows(catcher: MailCatcher, entry: dict[str, object]) -> None:
    """The seconds from a fault on the bus path until the next ticket email arrives."""
    since, before = time.monotonic(), len(catcher.folder.messages())
    deadline = since + 60
    while len(catcher.folder.messages()) <= before and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.1)
    arrived = len(catcher.folder.messages()) > before
    entry["next_email_s"] = round(time.monotonic() - since, 2) if arrived else None


async def inject_faults(
    stack: Stack, history: History, catcher: MailCatcher, rng: random.Random, finished: asyncio.Event
) -> None:
    started = time.monotonic()
    watchers: list[asyncio.Task[None]] = []
    for _ in range(ROUNDS):
        await fault_round(stack, history, catcher, rng, started, watchers)
    await asyncio.sleep(3)  # load goes on after the last fault, so every recovery is seen
    finished.set()
    await asyncio.gather(*watchers)


async def fault_round(
    stack: Stack, history: History, catcher: MailCatcher, rng: random.Random, started: float,
    watchers: list[asyncio.Task[None]],
) -> None:  # fmt: skip
    await asyncio.sleep(2 + rng.uniform(0, 0.5))
    await kill_and_restart(stack, "relay", history, started)
    watchers.append(asyncio.create_task(mail_flows(catcher, history.faults[-1])))
    await asyncio.sleep(2)
    crashed = time.monotonic()
    entry = history.fault("postgresql immediate restart", started, restart_s=services("crash", "pg"))
    await recovered(history, crashed, entry)
    await asyncio.sleep(2)
    killed = time.monotonic()
    await kill_and_restart(stack, "server", history, started)
    await recovered(history, killed, history.faults[-1])
    await asyncio.sleep(2)
    await kill_and_restart(stack, "consumer", history, started)
    watchers.append(asyncio.create_task(mail_flows(catcher, history.faults[-1])))
    await asyncio.sleep(1.5)
    bounce_s = await asyncio.to_thread(services, "restart", "rabbitmq")
    entry = history.fault("rabbitmq stop and start", started, restart_s=bounce_s)
    watchers.append(asyncio.create_task(mail_flows(catcher, entry)))
    await asyncio.sleep(1)
    await kill_and_restart(stack, "notification", history, started)


def _count(database_url: str, query: str, params: tuple[Any, ...] = ()) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(query, params).fetchone()
    return int(row[0]) if row else 0


def queue_depth(amqp_url: str, queue: str) -> int:
    with contextlib.closing(BlockingConnection(pika.URLParameters(amqp_url))) as conn:
        return int(conn.channel().queue_declare(queue, passive=True).method.message_count)


async def quiesce(database_url: str, amqp_url: str, queue: str, limit: float = 90.0) -> float:
    """Until the outbox is published, the queue is empty and no delivery is pending."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        unpublished = _count(database_url, "SELECT count(*) FROM outbox WHERE published_at IS NULL")
        pending = _count(database_url, "SELECT count(*) FROM notification.delivery WHERE state = 'PENDING'")
        if unpublished == 0 and pending == 0 and queue_depth(amqp_url, queue) == 0:
            return round(time.monotonic() - started, 2)
        await asyncio.sleep(0.5)
    return round(time.monotonic() - started, 2)


def orders_in(database_url: str, ids: list[str], states: tuple[str, ...]) -> set[str]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT id::text FROM purchase_order WHERE id = ANY(%s::uuid[]) AND state = ANY(%s)",
            (ids, list(states)),
        ).fetchall()
    return {row[0] for row in rows}


@pytest.fixture
def purchase_stack(
    notification_db: str, redis_url: str, amqp_url: str, catcher: MailCatcher,
    identity: tuple[JwksServer, SigningKey], tmp_path: Path,
) -> Iterator[tuple[Stack, str]]:  # fmt: skip
    status = [str(SERVICES), "status", "pg", "rabbitmq"]
    if subprocess.run(status, check=False, capture_output=True).returncode:  # noqa: S603
        pytest.fail(f"{SERVICES} does not run PostgreSQL and RabbitMQ; set APEXTICK_SERVICES_SCRIPT")
    # Rows other tests left unpublished are not this run's to publish onto the shared broker.
    with psycopg.connect(notification_db, autocommit=True) as conn:
        conn.execute("UPDATE outbox SET published_at = now() WHERE published_at IS NULL")
    queue = f"test.faults.{uuid.uuid4().hex[:10]}"
    with running_stripe_mock() as stripe_url:
        # Each process's log in tmp_path: a process that dies on its own is reported with its last words.
        stack = Stack(notification_db, redis_url, identity[0], hold_ttl_seconds=30.0, log_dir=tmp_path, extra_env={  # noqa: E501
            "APEXTICK_AMQP_URL": amqp_url,
            "APEXTICK_STRIPE_API_KEY": "sk_test_faults",
            "APEXTICK_STRIPE_API_BASE": stripe_url,
            "APEXTICK_STRIPE_WEBHOOK_SECRET": STRIPE_WEBHOOK_SECRET,
            "APEXTICK_SMTP_HOST": catcher.host,
            "APEXTICK_SMTP_PORT": str(catcher.port),
            "APEXTICK_TICKET_STORAGE_DIR": str(tmp_path / "tickets"),
            "APEXTICK_NOTIFICATION_QUEUE": queue,
            "APEXTICK_NOTIFICATION_DELIVERY_LIMIT": "50",
            "APEXTICK_NOTIFICATION_RETRY_BASE": "0.1",
            "APEXTICK_NOTIFICATION_RETRY_CAP": "1",
            "APEXTICK_RELAY_POLL_INTERVAL": "0.5",
        })  # fmt: skip
        try:
            for role in ("server", "worker", "relay", "notification", "consumer"):
                stack.start(role)
            yield stack, queue
        finally:
            stack.stop()
            with contextlib.closing(BlockingConnection(pika.URLParameters(amqp_url))) as conn:
                channel = conn.channel()
                for name in (queue, bus_topology.dead_letter_queue(queue)):
                    channel.queue_delete(name)


async def wait_for_queue(amqp_url: str, queue: str, limit: float = 15.0) -> None:
    """The consumer declares its queue when it starts; events relayed before that would miss it."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        with contextlib.suppress(pika.exceptions.ChannelClosedByBroker):
            queue_depth(amqp_url, queue)
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"the consumer never declared {queue}")


async def test_the_purchase_path_loses_and_doubles_nothing_under_faults(
    purchase_stack: tuple[Stack, str], identity: tuple[JwksServer, SigningKey],
    notification_db: str, amqp_url: str, catcher: MailCatcher,
) -> None:  # fmt: skip
    stack, queue = purchase_stack
    database_url = notification_db
    rng = random.Random(SEED)
    history = History()
    await wait_for_queue(amqp_url, queue)
    async with grpc.aio.insecure_channel(stack.target) as channel:
        organizer = (("authorization", f"Bearer {token(identity, 'customer', 'organizer')}"),)
        built = await build_event(
            catalog_grpc.CatalogServiceStub(channel), organizer, "Purchase faults", rows=ROWS, per_row=12
        )
        clients = Clients(
            inventory_grpc.InventoryServiceStub(channel), order_grpc.OrderServiceStub(channel),
            webhook_grpc.PaymentWebhookServiceStub(channel),
        )  # fmt: skip
        seats = [f"main-{row_label(row)}-{n}" for row in range(ROWS) for n in range(1, 13)]
        finished = asyncio.Event()
        loops = [
            buyer_loop(
                clients, identity, built.event.name, seats, history, random.Random(rng.random()), finished
            )
            for _ in range(BUYERS)
        ]
        await asyncio.gather(inject_faults(stack, history, catcher, rng, finished), *loops)
    quiet_s = await quiesce(database_url, amqp_url, queue)
    event_id = uuid.UUID(built.event.name.removeprefix("events/"))
    orders = list(history.buyer_of)
    confirmed = orders_in(database_url, orders, ("PAID",))
    settled = orders_in(database_url, orders, ("PAID", "REFUNDED"))
    sent = [(str(mail.message["To"]), str(mail.message["Message-ID"])) for mail in catcher.folder.messages()]
    figures = {
        "seats_held_twice": checkers.seats_held_twice(database_url, event_id),
        "seats_sold_twice": booked_twice(database_url),
        "acknowledged_payments_lost": len(history.paid_acknowledged - settled),
        "paid_unconfirmed": checkers.paid_unconfirmed(database_url, event_id),
        "emails_other_than_one": checkers.emails_other_than_one(
            [history.buyer_of[order] for order in confirmed], sent
        ),
        "internal_errors": sum(n for k, n in history.outcomes.items() if k.endswith(("INTERNAL", "UNKNOWN"))),
    }
    report = {"profile": PROFILE, "seed": SEED, "faults": history.faults, "outcomes": dict(history.outcomes),
              "orders": len(orders), "paid": len(confirmed), "emails": len(sent),
              "smtp_resends": checkers.smtp_resends(sent),
              "quiesce_s": quiet_s, **figures}  # fmt: skip
    reports = ROOT / "var" / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    (reports / f"fault-purchase-{PROFILE}.json").write_text(json.dumps(report, indent=1))
    print(json.dumps(report))  # noqa: T201 - the run's report
    assert confirmed, "no order was ever paid: the run proved nothing"
    dead = [role for role in ("server", "relay", "consumer") if not stack.running(role)]
    logs = stack.log_dir or ROOT
    last_words = [
        (logs / f"{role}.log").read_text()[-1500:] for role in dead if (logs / f"{role}.log").exists()
    ]
    assert not dead, f"died on their own: {dead}: {' | '.join(last_words)}"
    assert listening(stack.notification_port)
    assert figures == dict.fromkeys(figures, 0), report
