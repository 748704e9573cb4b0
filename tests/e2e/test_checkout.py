"""Checkout and payment webhooks through the real gRPC server, stripe-mock and PostgreSQL: retries,
duplicates, event order, forgeries, late payments and races with expiry."""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import time
import uuid
from collections.abc import Awaitable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import grpc
import psycopg
import pytest
from apextick.inventory.v1 import inventory_service_pb2 as inv
from apextick.orders.v1 import order_pb2
from apextick.orders.v1 import order_service_pb2 as osv
from apextick.tickets.v1 import ticket_pb2
from apextick.tickets.v1 import ticket_service_pb2 as tsv

from apextick_platform.identity import Principal, Role
from booking.adapters.pg_claims import PgSeatClaims
from booking.adapters.redis_seats import RedisSeatSignals
from booking.adapters.ticket_codes import TicketSigner, load_private_key, verify
from booking.bootstrap import Container
from booking.entrypoints.grpc.server import BookingServer
from booking.service_layer.hold_use_cases import HoldUseCases
from tests.e2e.checkout_support import (
    booked_twice,
    checkout,
    customer,
    lapse_hold,
    order_facts,
    send_payhere,
    send_stripe,
)
from tests.e2e.conftest import Identity
from tests.e2e.payment_support import (
    TICKET_SECRET,
    charge_refunded,
    intent_succeeded,
    payhere_notify,
    session_completed,
    stripe_event,
    stripe_signature,
)
from tests.e2e.support import build_event, rich_error, rid

if TYPE_CHECKING:
    from tests.e2e.checkout_support import Inventory, Orders, Webhooks
    from tests.e2e.conftest import Catalog, Tickets

STRIPE = order_pb2.PAYMENT_PROVIDER_STRIPE
T = TypeVar("T")
REPORTS = Path(__file__).resolve().parents[2] / "var" / "reports"


async def after(delay: float, awaitable: Awaitable[T]) -> T:
    await asyncio.sleep(delay)
    return await awaitable


async def paid(webhooks: Webhooks, order: order_pb2.Order) -> str:
    body = stripe_event("checkout.session.completed", session_completed(order, f"pi_{uuid.uuid4().hex[:16]}"))
    return await send_stripe(webhooks, body, stripe_signature(body))


async def test_checkout_opens_a_session_and_a_retry_returns_the_same_order(
    catalog: Catalog, inventory: Inventory, orders: Orders, identity: Identity
) -> None:
    built = await build_event(catalog, identity.auth("organizer"), "Checkout basics", rows=2, per_row=5)
    me = customer(identity)
    hold = (
        await inventory.HoldSeats(
            inv.HoldSeatsRequest(event=built.event.name, seat_ids=["main-A-1", "main-B-2"], request_id=rid()),
            metadata=me,
        )
    ).hold
    request = osv.CheckoutRequest(hold=hold.name, provider=STRIPE, request_id=rid())
    first = (await orders.Checkout(request, metadata=me)).order
    assert first.state == order_pb2.ORDER_STATE_PENDING_PAYMENT
    assert (first.total_minor, first.currency_code) == (700_00, "LKR")  # prices from the tiers
    assert [i.seat_id for i in first.items] == ["main-A-1", "main-B-2"]
    assert first.payment_session.session_id.startswith("cs_")
    assert first.payment_session.redirect_url.startswith("http")
    assert first.payment_deadline.seconds > hold.expire_time.seconds  # the hold waits for the payment
    again = (await orders.Checkout(request, metadata=me)).order
    assert again == first

    other = osv.CheckoutRequest(hold=hold.name, provider=STRIPE, request_id=rid())
    error = await rich_error(orders.Checkout(other, metadata=me))
    assert (error.code, error.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "HOLD_CHECKED_OUT")
    stranger = await rich_error(orders.Checkout(request, metadata=customer(identity)))
    assert (stranger.code, stranger.reason) == (grpc.StatusCode.NOT_FOUND, "HOLD_NOT_FOUND")
    mine = (await orders.ListMyOrders(osv.ListMyOrdersRequest(), metadata=me)).orders
    assert [o.name for o in mine] == [first.name]
    hidden = await rich_error(
        orders.GetOrder(osv.GetOrderRequest(name=first.name), metadata=customer(identity))
    )
    assert (hidden.code, hidden.reason) == (grpc.StatusCode.NOT_FOUND, "ORDER_NOT_FOUND")


async def test_checkout_of_an_ended_hold_is_refused(
    catalog: Catalog, inventory: Inventory, orders: Orders, identity: Identity
) -> None:
    built = await build_event(catalog, identity.auth("organizer"), "Ended hold", rows=1, per_row=4)
    me = customer(identity)
    hold = (
        await inventory.HoldSeats(
            inv.HoldSeatsRequest(event=built.event.name, seat_ids=["main-A-1"], request_id=rid()), metadata=me
        )
    ).hold
    await inventory.ReleaseHold(inv.ReleaseHoldRequest(name=hold.name, request_id=rid()), metadata=me)
    error = await rich_error(
        orders.Checkout(osv.CheckoutRequest(hold=hold.name, provider=STRIPE, request_id=rid()), metadata=me)
    )
    assert (error.code, error.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "HOLD_NOT_ACTIVE")


async def test_the_same_webhook_five_times_three_at_once_books_once(
    catalog: Catalog,
    inventory: Inventory,
    orders: Orders,
    tickets: Tickets,
    webhooks: Webhooks,
    identity: Identity,
    database_url: str,
) -> None:
    built = await build_event(catalog, identity.auth("organizer"), "Duplicate webhooks", rows=2, per_row=5)
    bought = await checkout(inventory, orders, customer(identity), built.event.name, ("main-A-2", "main-A-3"))
    body = stripe_event("checkout.session.completed", session_completed(bought.order, "pi_dup"))
    signature = stripe_signature(body)
    concurrent = await asyncio.gather(*(send_stripe(webhooks, body, signature) for _ in range(3)))
    sequential = [await send_stripe(webhooks, body, signature) for _ in range(2)]
    outcomes = [*concurrent, *sequential]
    assert sorted(outcomes) == ["APPLIED", "DUPLICATE", "DUPLICATE", "DUPLICATE", "DUPLICATE"]

    facts = order_facts(database_url, bought.order)
    assert (facts.state, facts.payment_events, facts.valid_tickets, facts.confirmed_events) == (
        "PAID",
        1,
        2,
        1,
    )
    assert {status for status, _ in facts.seats.values()} == {"BOOKED"}

    listed = (await tickets.ListMyTickets(tsv.ListMyTicketsRequest(), metadata=bought.customer)).tickets
    assert sorted(t.seat_id for t in listed) == ["main-A-2", "main-A-3"]
    public_key = TicketSigner(load_private_key(TICKET_SECRET)).public_key
    signer_id = TicketSigner(load_private_key(TICKET_SECRET)).key_id
    for ticket in listed:
        claims = verify(ticket.code, {signer_id: public_key})
        assert (f"tickets/{claims.ticket_id}", f"events/{claims.event_id}", claims.seat_id) == (
            ticket.name,
            built.event.name,
            ticket.seat_id,
        )
        assert ticket.state == ticket_pb2.TICKET_STATE_VALID
        assert ticket.pdf_uri == f"/v1/{ticket.name}/pdf"
    stranger = customer(identity)
    assert not (await tickets.ListMyTickets(tsv.ListMyTicketsRequest(), metadata=stranger)).tickets
    error = await rich_error(tickets.GetTicket(tsv.GetTicketRequest(name=listed[0].name), metadata=stranger))
    assert (error.code, error.reason) == (grpc.StatusCode.NOT_FOUND, "TICKET_NOT_FOUND")


@pytest.mark.parametrize(
    "order_of_events", list(itertools.permutations(["completed", "succeeded", "refunded"]))
)
async def test_every_order_of_stripe_events_ends_consistent(
    order_of_events: tuple[str, ...],
    catalog: Catalog,
    inventory: Inventory,
    orders: Orders,
    webhooks: Webhooks,
    identity: Identity,
    database_url: str,
) -> None:
    built = await build_event(catalog, identity.auth("organizer"), "Permutations", rows=1, per_row=3)
    bought = await checkout(inventory, orders, customer(identity), built.event.name, ("main-A-1",))
    intent = f"pi_{uuid.uuid4().hex[:16]}"
    bodies = {
        "completed": stripe_event("checkout.session.completed", session_completed(bought.order, intent)),
        "succeeded": stripe_event("payment_intent.succeeded", intent_succeeded(bought.order, intent)),
        "refunded": stripe_event("charge.refunded", charge_refunded(bought.order, intent)),
    }
    for name in order_of_events:
        await send_stripe(webhooks, bodies[name], stripe_signature(bodies[name]))

    facts = order_facts(database_url, bought.order)
    # Refunded at the provider, whatever came first: no valid ticket, the seat not sold, no refund of ours.
    assert (facts.state, facts.refund_reason, facts.valid_tickets, facts.refunds) == (
        "REFUNDED",
        "PROVIDER_REFUND",
        0,
        0,
    )
    assert facts.seats["main-A-1"][0] != "BOOKED"
    assert facts.payment_events == 3
    assert facts.refunded_events == 1
    assert facts.confirmed_events == (1 if order_of_events.index("refunded") > 0 else 0)
    assert facts.void_tickets == facts.confirmed_events


async def test_forged_tampered_replayed_and_unknown_webhooks_change_nothing(
    catalog: Catalog,
    inventory: Inventory,
    orders: Orders,
    webhooks: Webhooks,
    identity: Identity,
    database_url: str,
) -> None:
    built = await build_event(catalog, identity.auth("organizer"), "Forgeries", rows=1, per_row=3)
    bought = await checkout(inventory, orders, customer(identity), built.event.name, ("main-A-1",))
    body = stripe_event("checkout.session.completed", session_completed(bought.order, "pi_forged"))
    unknown = bought.order.__class__()
    unknown.CopyFrom(bought.order)
    unknown.name = f"orders/{uuid.uuid4()}"
    unknown_body = stripe_event("checkout.session.completed", session_completed(unknown, "pi_x"))
    cases = {
        "forged": (body, stripe_signature(body, secret="whsec_attacker"), "WEBHOOK_SIGNATURE_INVALID"),
        "tampered": (
            body.replace(b'"paid"', b'"paid" '),
            stripe_signature(body),
            "WEBHOOK_SIGNATURE_INVALID",
        ),
        "replayed": (body, stripe_signature(body, at=int(time.time()) - 3600), "WEBHOOK_SIGNATURE_INVALID"),
        "future": (body, stripe_signature(body, at=int(time.time()) + 3600), "WEBHOOK_SIGNATURE_INVALID"),
        "unsigned": (body, None, "WEBHOOK_SIGNATURE_INVALID"),
        "garbage": (b"{not json", stripe_signature(b"{not json"), "WEBHOOK_PAYLOAD_INVALID"),
        "unknown order": (unknown_body, stripe_signature(unknown_body), "WEBHOOK_UNKNOWN_ORDER"),
    }
    for name, (payload, signature, reason) in cases.items():
        error = await rich_error(send_stripe(webhooks, payload, signature))
        assert (error.code, error.reason) == (grpc.StatusCode.INVALID_ARGUMENT, reason), name
    facts = order_facts(database_url, bought.order)
    assert (facts.state, facts.payment_events, facts.valid_tickets) == ("PENDING_PAYMENT", 0, 0)


async def test_payhere_notify_needs_the_exact_amount_and_status_2(
    catalog: Catalog,
    inventory: Inventory,
    orders: Orders,
    webhooks: Webhooks,
    identity: Identity,
    database_url: str,
) -> None:
    built = await build_event(catalog, identity.auth("organizer"), "PayHere", rows=1, per_row=3)
    bought = await checkout(
        inventory,
        orders,
        customer(identity),
        built.event.name,
        ("main-A-1",),
        order_pb2.PAYMENT_PROVIDER_PAYHERE,
    )
    assert bought.order.payment_session.form_fields["hash"]
    assert bought.order.payment_session.form_fields["amount"] == "500.00"
    cheap = await rich_error(send_payhere(webhooks, payhere_notify(bought.order, "5.00")))
    assert (cheap.code, cheap.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "PAYMENT_MISMATCH")
    dollars = await rich_error(send_payhere(webhooks, payhere_notify(bought.order, "500.00", currency="USD")))
    assert dollars.reason == "PAYMENT_MISMATCH"
    assert await send_payhere(webhooks, payhere_notify(bought.order, "500.00", status="0")) == "APPLIED"
    assert order_facts(database_url, bought.order).state == "PENDING_PAYMENT"
    assert await send_payhere(webhooks, payhere_notify(bought.order, "500.00")) == "APPLIED"
    facts = order_facts(database_url, bought.order)
    assert (facts.state, facts.valid_tickets) == ("PAID", 1)


async def test_a_payment_after_the_seat_was_resold_is_refunded_once(
    catalog: Catalog,
    inventory: Inventory,
    orders: Orders,
    webhooks: Webhooks,
    identity: Identity,
    database_url: str,
    booking_server: BookingServer[Container],
) -> None:
    built = await build_event(catalog, identity.auth("organizer"), "Late payment", rows=1, per_row=3)
    late = await checkout(inventory, orders, customer(identity), built.event.name, ("main-A-1", "main-A-2"))
    lapse_hold(database_url, late.order)
    await booking_server.container.holds.sweep()  # the hold is released...
    rival = customer(identity)
    await inventory.HoldSeats(  # ...and one of its seats is taken by someone else
        inv.HoldSeatsRequest(event=built.event.name, seat_ids=["main-A-2"], request_id=rid()), metadata=rival
    )
    body = stripe_event("checkout.session.completed", session_completed(late.order, "pi_late"))
    assert await send_stripe(webhooks, body, stripe_signature(body)) == "APPLIED"
    assert await send_stripe(webhooks, body, stripe_signature(body)) == "DUPLICATE"
    second = stripe_event("payment_intent.succeeded", intent_succeeded(late.order, "pi_late"))
    assert await send_stripe(webhooks, second, stripe_signature(second)) == "APPLIED"

    facts = order_facts(database_url, late.order)
    assert (facts.state, facts.refund_reason, facts.valid_tickets, facts.refunds) == (
        "REFUNDED",
        "LATE_PAYMENT",
        0,
        1,
    )
    assert facts.seats["main-A-2"][0] == "HELD"
    assert facts.seats["main-A-1"][0] == "AVAILABLE"
    order = (await orders.GetOrder(osv.GetOrderRequest(name=late.order.name), metadata=late.customer)).order
    assert order.refund_reason == order_pb2.REFUND_REASON_LATE_PAYMENT
    with psycopg.connect(database_url) as conn:
        status = conn.execute(
            "SELECT status, provider_refund_id FROM refund WHERE order_id = %s",
            (uuid.UUID(late.order.name.removeprefix("orders/")),),
        ).fetchone()
    assert status is not None
    assert status[0] == "SUCCEEDED"
    assert status[1].startswith("re_")


async def test_an_expiry_frees_only_the_seats_its_hold_still_had(
    catalog: Catalog,
    inventory: Inventory,
    orders: Orders,
    identity: Identity,
    database_url: str,
    booking_server: BookingServer[Container],
) -> None:
    """A lapsed seat taken over by a later claim stays HELD in the availability cache when the
    sweeper ends the old hold: only the seats the hold still had are announced AVAILABLE."""
    built = await build_event(catalog, identity.auth("organizer"), "Takeover", rows=1, per_row=3)
    event_id = uuid.UUID(built.event.name.removeprefix("events/"))
    lapsed = await checkout(inventory, orders, customer(identity), built.event.name, ("main-A-1", "main-A-2"))
    lapse_hold(database_url, lapsed.order)
    holds = booking_server.container.holds
    await holds.seat_statuses(event_id)  # fills the cache, which signals then keep current
    # The rival claims on a replica without fast rejection: this process's view still counts the seat
    # taken (the test moved the expiry in PostgreSQL only), and PostgreSQL lets the lapsed seat go.
    c = booking_server.container
    replica = HoldUseCases(
        PgSeatClaims(c.pool, c.clock), RedisSeatSignals(c.redis), None, c.seat_cache, c.clock, uuid.uuid4,
        timedelta(minutes=10),
    )  # fmt: skip
    rival = Principal(f"rival-{uuid.uuid4().hex[:8]}", frozenset({Role.CUSTOMER}))
    await replica.hold_seats(rival, event_id, ["main-A-2"], rid())
    assert await holds.sweep() >= 1
    statuses = await holds.seat_statuses(event_id)
    assert (statuses["main-A-1"], statuses["main-A-2"]) == ("AVAILABLE", "HELD")


async def test_payments_racing_expiry_never_book_a_seat_twice(
    catalog: Catalog,
    inventory: Inventory,
    orders: Orders,
    webhooks: Webhooks,
    identity: Identity,
    database_url: str,
    booking_server: BookingServer[Container],
) -> None:
    """Each round: a lapsed checked-out hold, then at once its payment, the sweeper and a rival claim."""
    built = await build_event(catalog, identity.auth("organizer"), "Race", rows=2, per_row=10)
    rounds = [f"main-{row}-{n}" for row in "AB" for n in range(1, 11)]
    outcomes: dict[str, int] = {}
    for seat in rounds:
        bought = await checkout(inventory, orders, customer(identity), built.event.name, (seat,))
        lapse_hold(database_url, bought.order)
        rival = customer(identity)
        claim = inventory.HoldSeats(
            inv.HoldSeatsRequest(event=built.event.name, seat_ids=[seat], request_id=rid()), metadata=rival
        )
        # Random head starts, so every interleaving of the three gets its turn across the rounds.
        contenders: list[Awaitable[object]] = [
            paid(webhooks, bought.order),
            booking_server.container.holds.sweep(),
            claim,
        ]
        jitter = [random.uniform(0, 0.02) for _ in contenders]
        results: list[object] = await asyncio.gather(
            *(after(delay, c) for delay, c in zip(jitter, contenders, strict=True)), return_exceptions=True
        )
        refused = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
        assert all(r.code() is grpc.StatusCode.ABORTED for r in refused), refused  # the rival lost
        assert not [r for r in results if isinstance(r, Exception) and r not in refused]
        facts = order_facts(database_url, bought.order)
        outcomes[facts.state] = outcomes.get(facts.state, 0) + 1
        if facts.state == "PAID":
            assert (facts.valid_tickets, facts.refunds, facts.seats[seat][0]) == (1, 0, "BOOKED")
        else:
            assert (facts.state, facts.refund_reason, facts.valid_tickets, facts.refunds) == (
                "REFUNDED",
                "LATE_PAYMENT",
                0,
                1,
            )
    assert booked_twice(database_url) == 0
    assert sum(outcomes.values()) == len(rounds)
    report = {"rounds": len(rounds), "outcomes": outcomes, "booked_twice": 0, "refunds_per_order_max": 1}
    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / "payment_race.json").write_text(json.dumps(report, indent=1))


async def test_cancel_before_payment_releases_the_seats(
    catalog: Catalog,
    inventory: Inventory,
    orders: Orders,
    webhooks: Webhooks,
    identity: Identity,
    database_url: str,
) -> None:
    built = await build_event(catalog, identity.auth("organizer"), "Cancel", rows=1, per_row=3)
    bought = await checkout(inventory, orders, customer(identity), built.event.name, ("main-A-3",))
    request = osv.CancelOrderRequest(name=bought.order.name, request_id=rid())
    cancelled = (await orders.CancelOrder(request, metadata=bought.customer)).order
    assert cancelled.state == order_pb2.ORDER_STATE_CANCELLED
    assert (await orders.CancelOrder(request, metadata=bought.customer)).order.state == cancelled.state
    assert order_facts(database_url, bought.order).seats["main-A-3"][0] == "AVAILABLE"

    other = await checkout(inventory, orders, customer(identity), built.event.name, ("main-A-2",))
    assert await paid(webhooks, other.order) == "APPLIED"
    error = await rich_error(
        orders.CancelOrder(
            osv.CancelOrderRequest(name=other.order.name, request_id=rid()), metadata=other.customer
        )
    )
    assert (error.code, error.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "ORDER_NOT_PENDING")
