"""The payment checkers (I4: every captured payment confirmed or refunded; at most one refund per
order at the provider) against the real adapters and against a broken variant of each, on PostgreSQL,
through the real composition root."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from booking.adapters.pg_ledger import PgPaymentLedger
from booking.adapters.pg_order_rows import fetch_order
from booking.adapters.pg_refunds import PgRefunds
from booking.bootstrap import Container, ticket_signer
from booking.domain.order import Order, OrderState
from booking.domain.payment import NoticeKind, PaymentNotice, Provider
from booking.service_layer.order_use_cases import CheckoutCommand
from booking.service_layer.payment_ports import REFUND_LEASE, NoticeOutcome, NoticeResult
from booking.settings import OrderSettings
from tests.fakes.world import Clock
from tests.faults import checkers
from tests.faults.test_broken_variants import GATEWAYS, record, stack
from tests.use_case_support import customer, organizer, published_event, seat

pytestmark = pytest.mark.integration

SIGNER = ticket_signer(OrderSettings())


class DropLatePayments(PgPaymentLedger):
    """BROKEN: money that lands on an order no longer waiting for it is recorded and then forgotten:
    neither booked nor refunded."""

    async def apply(self, notice: PaymentNotice) -> NoticeResult:
        async with self._pool.connection() as conn:
            order = await fetch_order(conn, notice.order_id) if notice.order_id else None
            if (
                order is None
                or order.state is OrderState.PENDING_PAYMENT
                or notice.kind is not NoticeKind.PAID
            ):
                return await super().apply(notice)
            await conn.execute(
                "UPDATE payment SET captured_at = now(), payment_ref = %s WHERE order_id = %s",
                (notice.payment_ref, order.id),
            )
        return NoticeResult(NoticeOutcome.APPLIED, order)


class ForgetfulRefunds(PgRefunds):
    """BROKEN: a refund the provider made is never marked done, so the reconciler makes it again."""

    async def finish_refund(
        self, order_id: uuid.UUID, provider_refund_id: str, *, manual: bool, error: str
    ) -> None:
        return None


def ledger(pool: AsyncConnectionPool[AsyncConnection[Any]], clock: Clock) -> PgPaymentLedger:
    return DropLatePayments(pool, clock, SIGNER)


def paid_notice(order: Order, provider_event: str) -> bytes:
    body = {"event_id": provider_event, "kind": "PAID", "order_id": str(order.id), "payment_ref": "pi_late",
            "amount_minor": order.total_minor, "currency_code": order.currency_code}  # fmt: skip
    return json.dumps(body).encode()


async def late_payment(container: Container, provider_event: str = "") -> tuple[uuid.UUID, Order]:
    """A buyer checks out, the window passes, the seat is resold, the order expires, and the money
    still arrives."""
    sale = await published_event(container, organizer=organizer())
    buyer = customer()
    hold = await container.holds.hold_seats(buyer, sale.event_id, [seat("A", 1)], "h")
    command = CheckoutCommand(hold.id, Provider.STRIPE, "https://ok", "https://no", str(uuid.uuid4()))
    order = await container.orders.checkout(buyer, command)
    container.clock.advance(timedelta(minutes=31))  # type: ignore[attr-defined]
    await container.holds.sweep()
    await container.holds.hold_seats(customer(), sale.event_id, [seat("A", 1)], "rival")
    await container.payments.reconcile()  # the unpaid order expires; the provider still takes the money
    notice = paid_notice(order, provider_event or uuid.uuid4().hex)
    await container.payments.receive(Provider.STRIPE, notice, {})
    return sale.event_id, order


@pytest.mark.parametrize("broken", [False, True], ids=["real", "drop-late-payments"])
async def test_paid_unconfirmed_catches_a_ledger_that_forgets_late_money(
    database_url: str, redis_url: str, broken: bool
) -> None:
    overrides: dict[str, Any] = {"ledger": ledger} if broken else {}
    async with stack(database_url, redis_url, **overrides) as container:
        event_id, _ = await late_payment(container)
        await container.payments.reconcile()
    unconfirmed = checkers.paid_unconfirmed(database_url, event_id)
    record("paid_unconfirmed", "DropLatePayments" if broken else "real", unconfirmed)
    assert unconfirmed == (1 if broken else 0)


@pytest.mark.parametrize("broken", [False, True], ids=["real", "forgetful-refunds"])
async def test_refunds_above_one_catches_a_refund_that_is_made_again(
    database_url: str, redis_url: str, broken: bool
) -> None:
    overrides: dict[str, Any] = {"refunds": ForgetfulRefunds} if broken else {}
    async with stack(database_url, redis_url, **overrides) as container:
        _, order = await late_payment(container)
        for _ in range(3):  # the reconciler's rounds, each after the previous call's lease lapsed
            container.clock.advance(REFUND_LEASE + timedelta(seconds=1))  # type: ignore[attr-defined]
            await container.payments.reconcile()
        calls = [call for call in GATEWAYS[id(container)].refund_calls if call == order.id]
    above = checkers.refunds_above_one(calls)
    record("refunds_above_one", "ForgetfulRefunds" if broken else "real", above)
    assert above == (1 if broken else 0)


class NoEventDedupe(PgPaymentLedger):
    """BROKEN: forgets every provider event it has seen, so a redelivered webhook is applied again."""

    async def apply(self, notice: PaymentNotice) -> NoticeResult:
        async with self._pool.connection() as conn:
            await conn.execute(
                "DELETE FROM payment_event WHERE provider = %s AND provider_event_id = %s",
                (notice.provider.value, notice.event_id),
            )
        return await super().apply(notice)


@pytest.mark.parametrize("broken", [False, True], ids=["real", "no-event-dedupe"])
async def test_a_redelivered_late_payment_is_refunded_once_even_without_the_event_dedupe(
    database_url: str, redis_url: str, broken: bool
) -> None:
    """The event-id dedupe is the first of two fences: the order's state, read under its row lock, and
    the one refund row per order still make five deliveries of a late payment one refund. So the
    dedupe-less variant breaks no invariant, and the checker rightly reports 0 for both."""
    overrides: dict[str, Any] = (
        {"ledger": lambda pool, clock: NoEventDedupe(pool, clock, SIGNER)} if broken else {}
    )
    async with stack(database_url, redis_url, **overrides) as container:
        provider_event = f"evt_{uuid.uuid4().hex}"
        event_id, order = await late_payment(container, provider_event)
        for _ in range(4):  # the provider sends the same event again
            await container.payments.receive(Provider.STRIPE, paid_notice(order, provider_event), {})
        for _ in range(3):
            await container.payments.reconcile()
        calls = [call for call in GATEWAYS[id(container)].refund_calls if call == order.id]
    above = checkers.refunds_above_one(calls)
    record("refunds_above_one (redelivered)", "NoEventDedupe" if broken else "real", above)
    assert (above, checkers.paid_unconfirmed(database_url, event_id)) == (0, 0)
    assert len(calls) == 1
