"""Orders in raw psycopg 3, next to the seat claim: checkout extends the hold and creates the order in
one transaction; cancellation ends the order and its hold in one transaction. Every change to an order
takes its row lock first, then the hold's, then the seats' (the order the expiry path uses too), so
these paths never deadlock with each other or with expiry."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from apextick_platform.errors import DomainError, ErrorCode
from booking.adapters.outbox import write_outbox
from booking.adapters.pg_claims import end_hold, hold_from_row
from booking.adapters.pg_order_rows import (
    ORDER_SELECT,
    contains_pattern,
    escape_like,
    fetch_order,
    newest_first,
    order_from_row,
)
from booking.domain.events import OrderClosed
from booking.domain.hold import HoldStatus
from booking.domain.order import (
    EventAtSale,
    HoldAtCheckout,
    Order,
    OrderState,
    check_event_sells,
    check_payable,
    check_request_id,
    checkout_replay,
    order_reference,
)
from booking.domain.payment import PaymentSession
from booking.service_layer.order_ports import (
    CancelResult,
    CheckoutDraft,
    OrderQuery,
)
from booking.service_layer.ports import Clock, Cursor
from booking.service_layer.seat_signals import freed

# The admin's and the organizer's order search (OrderQuery's rules); WHERE so newest_first can add AND.
SEARCH = """
WHERE (%(state)s::text IS NULL OR o.state = %(state)s)
  AND (%(event)s::uuid IS NULL OR o.event_id = %(event)s)
  AND (%(text)s = '' OR o.reference ILIKE %(prefix)s OR o.customer_name ILIKE %(like)s
       OR o.customer_email ILIKE %(like)s OR o.id::text = lower(%(text)s) OR o.customer = %(text)s)
"""
LOCK_HOLD = """
SELECT id, event_id, customer, seat_ids, tier_ids, prices_minor, currency_code, status, expires_at,
       created_at, (SELECT id FROM purchase_order WHERE hold_id = hold.id) AS order_id,
       (SELECT request_id FROM purchase_order WHERE hold_id = hold.id) AS order_request_id,
       (SELECT status = 'CANCELLED' FROM event WHERE id = hold.event_id) AS event_cancelled,
       (SELECT ends_at FROM event WHERE id = hold.event_id) AS event_ends_at
FROM hold WHERE id = %(hold)s FOR UPDATE
"""

SEATS_STILL_HELD = """
SELECT count(*) FROM event_seat
WHERE event_id = %(event)s AND seat_id = ANY(%(seats)s) AND hold_id = %(hold)s AND status = 'HELD'
"""

EXTEND_HOLD = "UPDATE hold SET expires_at = %(deadline)s WHERE id = %(hold)s"
EXTEND_SEATS = """
UPDATE event_seat SET hold_expires_at = %(deadline)s
WHERE event_id = %(event)s AND seat_id = ANY(%(seats)s) AND hold_id = %(hold)s AND status = 'HELD'
"""

INSERT_ORDER = """
INSERT INTO purchase_order (id, reference, event_id, hold_id, customer, customer_name, customer_email,
                            request_id, state, currency_code, total_minor, payment_deadline, created_at)
VALUES (%(order)s, %(reference)s, %(event)s, %(hold)s, %(customer)s, %(name)s, %(email)s, %(request_id)s,
        'PENDING_PAYMENT', %(currency)s, %(total)s, %(deadline)s, %(now)s)
"""

INSERT_ITEMS = """
INSERT INTO order_item (order_id, seat_id, tier_id, price_minor)
SELECT %(order)s, * FROM unnest(%(seats)s::text[], %(tiers)s::text[], %(prices)s::bigint[])
"""

ATTACH_SESSION = """
UPDATE payment SET session_id = %(session)s, redirect_url = %(url)s, form_fields = %(fields)s,
                   session_expires_at = %(expires)s
WHERE order_id = %(order)s AND session_id = ''
"""


class PgOrders:
    def __init__(self, pool: AsyncConnectionPool[AsyncConnection[Any]], clock: Clock) -> None:
        self._pool = pool
        self._clock = clock

    async def create(self, draft: CheckoutDraft) -> Order:
        async with self._pool.connection() as conn:
            async with conn.transaction():
                order_id = await self._create_in(conn, draft)
            order = await fetch_order(conn, order_id)
        assert order is not None  # noqa: S101 - committed just above on this connection
        return order

    async def _create_in(self, conn: AsyncConnection[Any], draft: CheckoutDraft) -> UUID:
        """Reads the facts under the hold's lock; the domain decides (replay, refusal or a new order)."""
        now = self._clock()
        params: dict[str, Any] = {"hold": draft.hold_id, "now": now}
        cur = conn.cursor(row_factory=dict_row)
        await cur.execute(LOCK_HOLD, params)
        row = await cur.fetchone()
        found = None
        if row is not None:
            event = EventAtSale(bool(row["event_cancelled"]), row["event_ends_at"])
            found = HoldAtCheckout(hold_from_row(row), event, row["order_id"], row["order_request_id"])
        replayed = checkout_replay(found, draft.hold_id, draft.customer, draft.request_id)
        if replayed is not None:
            return UUID(str(replayed))  # a retry of the checkout that made it
        assert found is not None  # noqa: S101 - checkout_replay refuses a missing hold
        hold = found.hold
        earlier = await (
            await conn.execute(
                "SELECT hold_id FROM purchase_order WHERE customer = %s AND request_id = %s",
                (draft.customer, draft.request_id),
            )
        ).fetchone()
        check_request_id(earlier[0] if earlier else None, hold.id)
        check_event_sells(found.event, now)
        params.update(event=hold.event_id, seats=list(hold.seat_ids))
        held = (await (await conn.execute(SEATS_STILL_HELD, params)).fetchone() or (0,))[0]
        check_payable(hold, held, now)
        params.update(
            deadline=draft.window.deadline(now, hold.created_at, hold.expires_at),
            order=draft.order_id,
            reference=order_reference(draft.order_id),
            customer=draft.customer,
            name=draft.customer_name,
            email=draft.customer_email,
            request_id=draft.request_id,
            currency=hold.currency_code,
            total=hold.total_minor,
            tiers=[seat.tier_id for seat in hold.seats],
            prices=[seat.price_minor for seat in hold.seats],
        )
        await conn.execute(EXTEND_HOLD, params)
        await conn.execute(EXTEND_SEATS, params)
        await conn.execute(INSERT_ORDER, params)
        await conn.execute(INSERT_ITEMS, params)
        await conn.execute(
            "INSERT INTO payment (order_id, provider) VALUES (%s, %s)", (draft.order_id, draft.provider.value)
        )
        return draft.order_id

    async def hold_currency(self, hold_id: UUID, customer: str) -> str | None:
        async with self._pool.connection() as conn:
            row = await (
                await conn.execute(
                    "SELECT currency_code FROM hold WHERE id = %s AND customer = %s", (hold_id, customer)
                )
            ).fetchone()
        return str(row[0]) if row else None

    async def attach_session(self, order_id: UUID, session: PaymentSession) -> Order:
        params = {
            "order": order_id,
            "session": session.session_id,
            "url": session.redirect_url,
            "fields": json.dumps(dict(session.form_fields)),
            "expires": session.expires_at,
        }
        async with self._pool.connection() as conn:
            async with conn.transaction():
                await conn.execute(ATTACH_SESSION, params)
            order = await fetch_order(conn, order_id)
        assert order is not None  # noqa: S101 - orders are never deleted
        return order

    async def get(self, order_id: UUID) -> Order | None:
        async with self._pool.connection() as conn:
            return await fetch_order(conn, order_id)

    async def for_customer(self, customer: str, after: Cursor | None, limit: int) -> Sequence[Order]:
        params: dict[str, Any] = {"customer": customer}
        query = newest_first(
            ORDER_SELECT + " WHERE o.customer = %(customer)s", "o.created_at, o.id", after, limit, params
        )
        async with self._pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(query, params)
            return [order_from_row(row) for row in await cur.fetchall()]

    async def search(self, query: OrderQuery, after: Cursor | None, limit: int) -> Sequence[Order]:
        text = query.text  # stripped by the use case, which keys the page token on it
        params: dict[str, Any] = {
            "text": text, "prefix": escape_like(text) + "%", "like": contains_pattern(text),
            "state": query.state.value if query.state else None, "event": query.event_id,
        }  # fmt: skip
        sql = newest_first(ORDER_SELECT + SEARCH, "o.created_at, o.id", after, limit, params)
        async with self._pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(sql, params)
            return [order_from_row(row) for row in await cur.fetchall()]

    async def cancel(self, order_id: UUID, actor: str, request_id: str) -> CancelResult:
        """Cancelling a cancelled order answers it again; any other ended order cannot be cancelled."""
        async with self._pool.connection() as conn:
            async with conn.transaction():
                order = await fetch_order(conn, order_id, lock=True)
                if order is None:
                    raise DomainError(ErrorCode.ORDER_NOT_FOUND, "no such order")
                if order.state is OrderState.CANCELLED:
                    return CancelResult(order)
                if order.state is not OrderState.PENDING_PAYMENT:
                    state = order.state.value.lower()
                    raise DomainError(
                        ErrorCode.ORDER_NOT_PENDING, f"the order is {state}", metadata={"state": state}
                    )
                now = self._clock()
                ended = await end_hold(
                    conn, now, order.hold_id, HoldStatus.RELEASED, "true", actor, request_id
                )
                await conn.execute(
                    "UPDATE purchase_order SET state = 'CANCELLED', ended_at = %s WHERE id = %s",
                    (now, order_id),
                )
                await write_outbox(
                    conn, OrderClosed(order.id, order.customer, "CANCELLED"), now, actor, request_id
                )
            cancelled = await fetch_order(conn, order_id)
        assert cancelled is not None  # noqa: S101 - locked and updated above
        return CancelResult(cancelled, (freed(ended),) if ended is not None else ())
