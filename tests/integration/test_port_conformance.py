"""One contract per port, run against the in-memory fake of the unit tests and against the real
adapter (PostgreSQL, Redis): whatever a unit test learns from a fake holds for what runs in production.

Each test speaks to the ports themselves (arranging with the use cases where that is shorter), and
asserts only what the port promises, never how an implementation keeps it."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest

from apextick_platform.errors import DomainError, ErrorCode
from apextick_platform.identity import Principal
from booking.domain.hold import ClaimRequest, Hold, HoldStatus, SeatStatus, plan_claim
from booking.domain.order import Order, OrderState, PaymentWindow, RefundReason
from booking.domain.payment import NoticeKind, PaymentNotice, PaymentSession, Provider
from booking.domain.ticket import TicketStatus
from booking.domain.venue import Venue
from booking.service_layer.hold_ports import SeatChangeNote
from booking.service_layer.order_ports import CheckoutDraft
from booking.service_layer.payment_ports import REFUND_LEASE, NoticeOutcome
from booking.service_layer.ports import EventQuery, IdempotencyKey, Replay
from tests.integration.port_twins import Twin, memory_twin, postgres_twin
from tests.use_case_support import customer, draft_event, key, organizer, published_event, seat

pytestmark = pytest.mark.integration

WINDOW = PaymentWindow(timedelta(minutes=15), timedelta(minutes=30))


@pytest.fixture(params=["memory", "postgres"])
async def twin(request: pytest.FixtureRequest, database_url: str, redis_url: str) -> AsyncIterator[Twin]:
    if request.param == "memory":
        async with memory_twin() as made:
            yield made
    else:
        async with postgres_twin(database_url, redis_url) as made:
            yield made


async def claim_request(
    twin: Twin, event_id: uuid.UUID, who: Principal, *seats: str, rid: str = ""
) -> ClaimRequest:
    terms = await twin.ports.claims.sale_terms(event_id)
    return plan_claim(
        terms, event_id, who.subject, list(seats), rid or uuid.uuid4().hex, uuid.uuid4(), twin.clock(),
        timedelta(minutes=10),
    )  # fmt: skip


async def code_of(awaitable: object) -> ErrorCode:
    with pytest.raises(DomainError) as refused:
        await awaitable  # type: ignore[misc]
    return refused.value.code


# ----------------------------------------------------------------------------- unit of work


async def test_unit_of_work_commits_all_or_nothing(twin: Twin) -> None:
    now = twin.clock()
    venue = Venue(uuid.uuid4(), "owner-x", "Hall", "1 Road", "Colombo", "LK", "Asia/Colombo", now, now)
    async with twin.ports.unit_of_work() as uow:
        await uow.venues.add(venue)  # no commit
    async with twin.ports.unit_of_work() as uow:
        assert await uow.venues.get(venue.id) is None
        await uow.venues.add(venue)
        await uow.commit()
    async with twin.ports.unit_of_work() as uow:
        assert await uow.venues.get(venue.id) == venue


async def test_idempotency_keys_replay_the_first_result(twin: Twin) -> None:
    key = IdempotencyKey("subject-" + uuid.uuid4().hex[:6], "CreateVenue", uuid.uuid4().hex)
    async with twin.ports.unit_of_work() as uow:
        assert await uow.idempotency.begin(key, b"fp-1") is None
        await uow.idempotency.finish(key, "result-1")
        await uow.commit()
    async with twin.ports.unit_of_work() as uow:
        assert await uow.idempotency.begin(key, b"fp-2") == Replay(b"fp-1", "result-1")


async def test_catalog_stores_answer_alike(twin: Twin) -> None:
    mine = organizer()
    word = "zq" + uuid.uuid4().hex[:6]
    draft = await draft_event(twin.container, organizer=mine, name=f"{word} Draft")
    sale = await published_event(twin.container, organizer=mine, name=f"{word} Gala", rows=1, per_row=3)
    async with twin.ports.unit_of_work() as uow:
        assert await uow.seat_maps.used_by_published_event(sale.seat_map_id)
        assert not await uow.seat_maps.used_by_published_event(draft.seat_map_id)
        assert {s.status for s in await uow.inventory.seats(sale.event_id)} == {"AVAILABLE"}
        assert len(await uow.inventory.seats(sale.event_id)) == 3
        tiers = await uow.tiers.list(sale.event_id)
        assert [t.tier_id for t in tiers] == ["standard"]
        assert not await uow.tiers.add(tiers[0])  # the id is taken
        public = await uow.events.query(EventQuery(text_terms=(word,)))
        own = await uow.events.query(EventQuery(organizer=mine.subject))
        by_city = await uow.events.query(EventQuery(text_terms=(word[:5],), city="COLOMBO"))
        elsewhere = await uow.events.query(EventQuery(text_terms=(word,), city="Kandy"))
    assert [e.id for e in public] == [sale.event_id]  # drafts are not public
    assert {e.id for e in own} == {sale.event_id, draft.event_id}
    assert [e.id for e in by_city] == [sale.event_id]
    assert elsewhere == []


async def test_events_are_found_by_price_and_by_seats_still_free(twin: Twin) -> None:
    word = "zp" + uuid.uuid4().hex[:6]
    cheap = await published_event(twin.container, name=f"{word} Cheap", rows=1, per_row=2, price=100_000)
    dear = await published_event(twin.container, name=f"{word} Dear", rows=1, per_row=2, price=900_000)
    buyer = customer()
    await twin.ports.claims.claim(
        await claim_request(twin, cheap.event_id, buyer, seat("A", 1), seat("A", 2))
    )

    async def found(**narrowing: Any) -> set[UUID]:
        async with twin.ports.unit_of_work() as uow:
            return {e.id for e in await uow.events.query(EventQuery(text_terms=(word,), **narrowing))}

    assert await found(max_price_minor=100_000) == {cheap.event_id}  # at the price counts
    assert await found(max_price_minor=99_999) == set()
    assert await found(max_price_minor=900_000) == {cheap.event_id, dear.event_id}
    assert await found(available_only=True) == {dear.event_id}  # every seat of the cheap one is held
    assert await found(available_only=True, max_price_minor=100_000) == set()


# ----------------------------------------------------------------------------- seat claims


async def test_seat_claims_are_all_or_nothing_and_replayable(twin: Twin) -> None:
    claims = twin.ports.claims
    sale = await published_event(twin.container, max_per_customer=3)
    buyer, rival = customer(), customer()
    request = await claim_request(twin, sale.event_id, buyer, seat("A", 1), seat("A", 2))
    hold = await claims.claim(request)
    assert (hold.status, hold.seat_ids, hold.total_minor) == (HoldStatus.ACTIVE, request.seat_ids, 500_000)
    assert await claims.claim(request) == hold  # the replay of the same request
    other_seats = await claim_request(twin, sale.event_id, buyer, seat("A", 3), rid=request.request_id)
    assert await code_of(claims.claim(other_seats)) is ErrorCode.REQUEST_ID_REUSED
    overlap = await claim_request(twin, sale.event_id, rival, seat("A", 2), seat("A", 3))
    assert await code_of(claims.claim(overlap)) is ErrorCode.SEAT_UNAVAILABLE
    missing = await claim_request(twin, sale.event_id, rival, seat("Q", 9))
    assert await code_of(claims.claim(missing)) is ErrorCode.SEAT_NOT_FOUND
    over = await claim_request(twin, sale.event_id, buyer, seat("B", 1), seat("B", 2))
    assert await code_of(claims.claim(over)) is ErrorCode.SEAT_LIMIT_REACHED
    statuses = await claims.seat_statuses(sale.event_id)
    assert [statuses[seat("A", n)] for n in (1, 2, 3)] == ["HELD", "HELD", "AVAILABLE"]
    assert statuses[seat("B", 1)] == "AVAILABLE"
    assert await twin.events_of(hold.id) == ["SeatsHeld"]
    # One request id, two seat sets, at once: one claim wins, the other writes nothing (PostgreSQL rolls
    # back the seat it had already taken when the twin's hold row commits first).
    same_id = uuid.uuid4().hex
    left = await claim_request(twin, sale.event_id, rival, seat("A", 3), rid=same_id)
    right = await claim_request(twin, sale.event_id, rival, seat("B", 1), rid=same_id)

    async def outcome(request: ClaimRequest) -> Hold | ErrorCode:
        try:
            return await claims.claim(request)
        except DomainError as error:
            return error.code

    outcomes = await asyncio.gather(outcome(left), outcome(right))
    assert sorted(isinstance(o, Hold) for o in outcomes) == [False, True], outcomes
    assert ErrorCode.REQUEST_ID_REUSED in outcomes
    statuses = await claims.seat_statuses(sale.event_id)
    assert sorted([statuses[seat("A", 3)], statuses[seat("B", 1)]]) == ["AVAILABLE", "HELD"]


async def test_holds_end_once_and_free_only_their_own_seats(twin: Twin) -> None:
    claims = twin.ports.claims
    sale = await published_event(twin.container)
    buyer = customer()
    early = await claims.claim(await claim_request(twin, sale.event_id, buyer, seat("A", 1), seat("A", 2)))
    assert await claims.release(early.id, "someone-else", "r") is None
    assert await claims.expire(early.id) is None  # not yet its time
    twin.clock.advance(timedelta(minutes=11))
    rival = await claims.claim(await claim_request(twin, sale.event_id, customer(), seat("A", 1)))
    # The sweep takes every lapsed hold of the database the tests share; ours is one of them.
    [ended] = [e for e in await claims.expire_due(10_000) if e.hold.event_id == sale.event_id]
    assert ended.hold.id == early.id
    assert (ended.hold.status, ended.freed) == (HoldStatus.EXPIRED, (seat("A", 2),))
    assert await claims.expire(early.id) is None  # once
    released = await claims.release(rival.id, rival.customer, "r")
    assert released is not None
    assert (released.hold.status, released.freed) == (HoldStatus.RELEASED, (seat("A", 1),))
    assert set((await claims.seat_statuses(sale.event_id)).values()) == {"AVAILABLE"}
    assert (await claims.get_hold(early.id)) == ended.hold
    assert await twin.events_of(early.id) == ["HoldExpired", "SeatsHeld"]


# ----------------------------------------------------------------------------- cache and signals


async def test_signals_keep_a_cached_event_current_and_leave_a_cold_one_cold(twin: Twin) -> None:
    cache, signals = twin.ports.seat_cache, twin.ports.signals
    warm, cold = uuid.uuid4(), uuid.uuid4()
    miss = await cache.get(warm)
    assert miss.statuses is None
    assert await cache.put(warm, {"A-1": "AVAILABLE", "A-2": "AVAILABLE"}, miss.generation)
    until = twin.clock() + timedelta(minutes=5)
    await signals.changed(SeatChangeNote(warm, uuid.uuid4(), ("A-1",), SeatStatus.HELD, "c", until))
    await signals.changed(SeatChangeNote(cold, uuid.uuid4(), ("A-1",), SeatStatus.BOOKED, "c"))
    assert (await cache.get(warm)).statuses == {"A-1": "HELD", "A-2": "AVAILABLE"}
    cold_read = await cache.get(cold)
    assert cold_read.statuses is None
    assert not await cache.put(cold, {}, cold_read.generation)  # nothing to keep: still a miss
    assert (await cache.get(cold)).statuses is None


async def test_a_burst_of_signals_beyond_the_connection_pool_waits_rather_than_fails(twin: Twin) -> None:
    """300 winners' after-commit signals at once, three times the Redis pool: each waits for a
    connection (a failed signal is a seat change the live map never hears of)."""
    cache, signals = twin.ports.seat_cache, twin.ports.signals
    event_id = uuid.uuid4()
    miss = await cache.get(event_id)
    seats = {f"A-{n}": "AVAILABLE" for n in range(300)}
    assert await cache.put(event_id, seats, miss.generation)
    until = twin.clock() + timedelta(minutes=5)
    notes = [SeatChangeNote(event_id, uuid.uuid4(), (seat,), SeatStatus.HELD, "c", until) for seat in seats]
    await asyncio.gather(*(signals.changed(note) for note in notes))
    assert set((await cache.get(event_id)).statuses.values()) == {"HELD"}  # type: ignore[union-attr]


async def test_a_fill_that_a_change_overtook_is_refused(twin: Twin) -> None:
    cache, signals = twin.ports.seat_cache, twin.ports.signals
    event_id = uuid.uuid4()
    before = await cache.get(event_id)  # a reader misses, then reads PostgreSQL ...
    await signals.changed(SeatChangeNote(event_id, uuid.uuid4(), ("A-1",), SeatStatus.BOOKED, "c"))
    # ... and its copy, read before the booking, must not land: it would hide the booking for the TTL.
    assert not await cache.put(event_id, {"A-1": "AVAILABLE"}, before.generation)
    assert (await cache.get(event_id)).statuses is None
    after = await cache.get(event_id)
    assert await cache.put(event_id, {"A-1": "BOOKED"}, after.generation)
    assert (await cache.get(event_id)).statuses == {"A-1": "BOOKED"}


# ----------------------------------------------------------------------------- orders and tickets


async def held_by(twin: Twin, buyer: Principal, *seats: str) -> Hold:
    sale = await published_event(twin.container)
    return await twin.ports.claims.claim(await claim_request(twin, sale.event_id, buyer, *seats))


def draft_for(hold: Hold, buyer: Principal, request_id: str = "co-1") -> CheckoutDraft:
    return CheckoutDraft(uuid.uuid4(), hold.id, buyer.subject, "Buyer", "b@example.test", request_id,
                         Provider.STRIPE, WINDOW)  # fmt: skip


async def test_orders_are_made_once_per_hold_and_request(twin: Twin) -> None:
    orders, buyer = twin.ports.orders, customer()
    hold = await held_by(twin, buyer, seat("A", 1), seat("A", 2))
    assert await orders.hold_currency(hold.id, buyer.subject) == "LKR"
    assert await orders.hold_currency(hold.id, "someone-else") is None
    assert await code_of(orders.create(draft_for(hold, customer()))) is ErrorCode.HOLD_NOT_FOUND
    order = await orders.create(draft_for(hold, buyer))
    assert (order.state, order.total_minor, order.seat_ids) == (
        OrderState.PENDING_PAYMENT,
        500_000,
        hold.seat_ids,
    )
    assert order.payment_deadline == twin.clock() + WINDOW.window
    assert (await orders.create(draft_for(hold, buyer))).id == order.id  # a retry
    assert await code_of(orders.create(draft_for(hold, buyer, "co-2"))) is ErrorCode.HOLD_CHECKED_OUT
    other = await held_by(twin, buyer, seat("B", 1))
    assert await code_of(orders.create(draft_for(other, buyer))) is ErrorCode.REQUEST_ID_REUSED
    session = PaymentSession(Provider.STRIPE, "sess-1", "https://pay.test/1", order.payment_deadline)
    attached = await orders.attach_session(order.id, session)
    later = await orders.attach_session(
        order.id, PaymentSession(Provider.STRIPE, "sess-2", "u", twin.clock())
    )
    assert attached.session == later.session == session  # the first session stays
    assert [o.id for o in await orders.for_customer(buyer.subject, None, 10)] == [order.id]


async def test_a_lapsed_hold_cannot_be_checked_out_and_a_cancel_frees_the_seats(twin: Twin) -> None:
    orders, buyer = twin.ports.orders, customer()
    lapsed = await held_by(twin, buyer, seat("A", 1))
    twin.clock.advance(timedelta(minutes=11))
    assert await code_of(orders.create(draft_for(lapsed, buyer))) is ErrorCode.HOLD_NOT_ACTIVE
    hold = await held_by(twin, buyer, seat("A", 1))
    order = await orders.create(draft_for(hold, buyer, "co-3"))
    result = await orders.cancel(order.id, buyer.subject, "cancel-1")
    assert result.order.state is OrderState.CANCELLED
    assert [n.seat_ids for n in result.seat_changes] == [(seat("A", 1),)]
    assert (await orders.cancel(order.id, buyer.subject, "cancel-2")).seat_changes == ()  # again: as it is
    assert await code_of(orders.cancel(uuid.uuid4(), buyer.subject, "x")) is ErrorCode.ORDER_NOT_FOUND
    statuses = await twin.ports.claims.seat_statuses(hold.event_id)
    assert statuses[seat("A", 1)] == "AVAILABLE"
    assert await twin.events_of(order.id) == ["OrderClosed"]


# ----------------------------------------------------------------------------- payment ledger


async def pending_order(twin: Twin, buyer: Principal) -> Order:
    hold = await held_by(twin, buyer, seat("A", 1), seat("A", 2))
    order = await twin.ports.orders.create(draft_for(hold, buyer, uuid.uuid4().hex))
    session = PaymentSession(
        Provider.STRIPE, f"sess-{order.id.hex[:8]}", "https://pay.test", order.payment_deadline
    )
    return await twin.ports.orders.attach_session(order.id, session)


def paid(order: Order, event_id: str, amount: int | None = None) -> PaymentNotice:
    amount_minor = order.total_minor if amount is None else amount
    return PaymentNotice(
        Provider.STRIPE, event_id, NoticeKind.PAID, order.id, "", "pi_" + event_id, amount_minor, "LKR"
    )


async def test_a_payment_books_once_and_issues_a_ticket_per_seat(twin: Twin) -> None:
    ledger, buyer = twin.ports.ledger, customer()
    order = await pending_order(twin, buyer)
    assert await code_of(ledger.apply(paid(order, "e-0", amount=1))) is ErrorCode.PAYMENT_MISMATCH
    unknown = PaymentNotice(Provider.STRIPE, "e-x", NoticeKind.PAID, uuid.uuid4(), amount_minor=1)
    assert await code_of(ledger.apply(unknown)) is ErrorCode.WEBHOOK_UNKNOWN_ORDER
    event_id = uuid.uuid4().hex
    applied = await ledger.apply(paid(order, event_id))
    again = await ledger.apply(paid(order, event_id))
    assert (applied.outcome, again.outcome) == (NoticeOutcome.APPLIED, NoticeOutcome.DUPLICATE)
    assert applied.order.state is OrderState.PAID
    assert [n.status for n in applied.seat_changes] == [SeatStatus.BOOKED]
    tickets = await twin.ports.tickets.tickets_for(buyer.subject, order.id, None, 10)
    assert sorted(t.seat_id for t in tickets) == [seat("A", 1), seat("A", 2)]
    assert {t.status for t in tickets} == {TicketStatus.VALID}
    assert await twin.ports.tickets.ticket(tickets[0].id) == tickets[0]
    assert await twin.ports.tickets.tickets_for("someone-else", order.id, None, 10) == []
    assert await twin.events_of(order.id) == ["OrderConfirmed"]


async def test_a_late_payment_is_refunded_once_and_followed_to_the_end(twin: Twin) -> None:
    ledger, refunds, buyer = twin.ports.ledger, twin.ports.refunds, customer()
    order = await pending_order(twin, buyer)
    twin.clock.advance(timedelta(minutes=16))
    rival = await twin.ports.claims.claim(await claim_request(twin, order.event_id, customer(), seat("A", 1)))
    first = await ledger.apply(paid(order, uuid.uuid4().hex))
    second = await ledger.apply(paid(order, uuid.uuid4().hex))
    assert first.order.state is OrderState.REFUNDED
    assert first.order.refund_reason is RefundReason.LATE_PAYMENT
    assert first.refund is not None
    assert first.refund.amount_minor == order.total_minor
    assert second.refund is None  # one refund per order, ever
    # The payment that made the refund holds its lease while it calls the provider: not due to others.
    assert order.id not in {d.order_id for d in await refunds.refunds_due(10_000)}
    await refunds.retry_refund_later(order.id, "provider down")  # the call failed: the lease is given back
    due = [d for d in await refunds.refunds_due(10_000) if d.order_id == order.id]
    assert due == [first.refund]
    assert order.id not in {d.order_id for d in await refunds.refunds_due(10_000)}  # leased by that round
    twin.clock.advance(REFUND_LEASE + timedelta(seconds=1))  # the round crashed mid-call
    assert order.id in {d.order_id for d in await refunds.refunds_due(10_000)}
    await refunds.finish_refund(order.id, "re_1", manual=False, error="")
    assert order.id not in {d.order_id for d in await refunds.refunds_due(10_000)}
    statuses = await twin.ports.claims.seat_statuses(order.event_id)
    assert (statuses[seat("A", 1)], statuses[seat("A", 2)]) == ("HELD", "AVAILABLE")
    assert rival.status is HoldStatus.ACTIVE
    assert await twin.events_of(order.id) == ["OrderRefunded"]


async def test_closing_refunding_and_the_reconcilers_lists(twin: Twin) -> None:
    ledger, buyer = twin.ports.ledger, customer()
    unpaid, bought = await pending_order(twin, buyer), await pending_order(twin, buyer)
    twin.clock.advance(timedelta(minutes=16))
    stale = {o.id for o in await ledger.stale(twin.clock(), 10_000)}
    assert {unpaid.id, bought.id} <= stale
    await ledger.apply(paid(bought, uuid.uuid4().hex))  # a late payment, refunded
    closed = await ledger.apply(
        PaymentNotice(Provider.STRIPE, uuid.uuid4().hex, NoticeKind.CLOSED, unpaid.id)
    )
    assert closed.order.state is OrderState.EXPIRED
    assert unpaid.id not in {o.id for o in await ledger.stale(twin.clock(), 10_000)}
    await ledger.mark_session_closed(unpaid.id)
    assert unpaid.id not in {o.id for o in await ledger.open_sessions_of_ended_orders(10_000)}
    assert await twin.events_of(unpaid.id) == ["OrderClosed"]


async def test_a_refund_after_confirmation_voids_the_tickets_and_frees_the_seats(twin: Twin) -> None:
    ledger, buyer = twin.ports.ledger, customer()
    order = await pending_order(twin, buyer)
    await ledger.apply(paid(order, uuid.uuid4().hex))
    refunded = await ledger.apply(
        PaymentNotice(Provider.STRIPE, uuid.uuid4().hex, NoticeKind.REFUNDED, order.id)
    )
    assert (refunded.order.state, refunded.order.refund_reason) == (
        OrderState.REFUNDED,
        RefundReason.PROVIDER_REFUND,
    )
    tickets = await twin.ports.tickets.tickets_for(buyer.subject, order.id, None, 10)
    assert {t.status for t in tickets} == {TicketStatus.VOID}
    assert set((await twin.ports.claims.seat_statuses(order.event_id)).values()) == {"AVAILABLE"}
    assert await twin.events_of(order.id) == ["OrderConfirmed", "OrderRefunded"]


async def test_a_cancelled_event_ends_its_holds_refuses_checkout_and_refunds_a_late_payment(
    twin: Twin,
) -> None:
    mine, buyer = organizer(), customer()
    sale = await published_event(twin.container, organizer=mine)
    claims, ledger = twin.ports.claims, twin.ports.ledger
    checked_out = await claims.claim(await claim_request(twin, sale.event_id, buyer, seat("A", 1)))
    order = await twin.ports.orders.create(draft_for(checked_out, buyer, uuid.uuid4().hex))
    other = await claims.claim(await claim_request(twin, sale.event_id, buyer, seat("B", 1)))
    await twin.container.events.cancel_event(mine, sale.event_id, "storm warning", key())
    ended = [await claims.get_hold(h.id) for h in (checked_out, other)]
    assert {h.status for h in ended if h is not None} == {HoldStatus.RELEASED}
    assert None not in ended
    assert await claims.end_event_holds(sale.event_id) == []  # once
    assert (
        await code_of(twin.ports.orders.create(draft_for(other, buyer, uuid.uuid4().hex)))
        is ErrorCode.EVENT_CLOSED
    )
    refunded = await ledger.apply(paid(order, uuid.uuid4().hex))
    assert (refunded.order.state, refunded.order.refund_reason) == (
        OrderState.REFUNDED,
        RefundReason.EVENT_CANCELLED,
    )
    assert refunded.refund is not None
    assert await twin.ports.tickets.tickets_for(buyer.subject, order.id, None, 10) == []
    assert set((await claims.seat_statuses(sale.event_id)).values()) == {"AVAILABLE"}
