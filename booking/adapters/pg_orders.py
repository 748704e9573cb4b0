"""Orders in raw psycopg 3, next to the seat claim: checkout extends the hold and creates the order in
one transaction; cancellation ends the order and its hold in one transaction. Every change to an order
takes its row lock first, then the hold's, then the seats' (the order the expiry path uses too), so
these paths never deadlock with each other or with expiry."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from apextick_platform.errors import DomainError, ErrorCode
from booking.adapters.pg_claims import end_hold, write_outbox
from booking.adapters.pg_order_rows import (
    ORDER_SELECT,
    TICKET_COLUMNS,
    fetch_order,
    order_from_row,
    ticket_from_row,
)
from booking.adapters.pg_payments import apply_notice
from booking.domain.events import OrderClosed
from booking.domain.hold import HoldStatus
from booking.domain.order import Order, OrderState, order_reference
from booking.domain.payment import PaymentNotice, PaymentSession, Provider
from booking.domain.ticket import Ticket
from booking.service_layer.order_ports import (
    CancelResult,
    CheckoutDraft,
    NoticeResult,
    RefundDue,
    TicketCodes,
)
from booking.service_layer.ports import Clock, Cursor
from booking.service_layer.seat_signals import freed

LOCK_HOLD = """
SELECT id, event_id, customer, seat_ids, tier_ids, prices_minor, currency_code, status, expires_at,
       created_at, (SELECT id FROM purchase_order WHERE hold_id = hold.id) AS order_id,
       (SELECT request_id FROM purchase_order WHERE hold_id = hold.id) AS order_request_id
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

STALE = """
SELECT o.id FROM purchase_order o JOIN hold h ON h.id = o.hold_id
WHERE o.state = 'PENDING_PAYMENT' AND (o.payment_deadline <= %(now)s OR h.status <> 'ACTIVE')
ORDER BY o.payment_deadline LIMIT %(limit)s
"""

OPEN_SESSIONS = """
SELECT o.id FROM purchase_order o JOIN payment p ON p.order_id = o.id
WHERE o.state IN ('CANCELLED', 'EXPIRED') AND p.session_id <> '' AND p.session_closed_at IS NULL
LIMIT %(limit)s
"""

REFUNDS_DUE = """
SELECT order_id, provider, payment_ref, amount_minor, currency_code FROM refund
WHERE status = 'PENDING' ORDER BY updated_at LIMIT %(limit)s
"""


class PgOrders:
    def __init__(
        self, pool: AsyncConnectionPool[AsyncConnection[Any]], clock: Clock, codes: TicketCodes
    ) -> None:
        self._pool = pool
        self._clock = clock
        self._codes = codes

    async def create(self, draft: CheckoutDraft) -> Order:
        async with self._pool.connection() as conn:
            async with conn.transaction():
                order_id = await self._create_in(conn, draft)
            order = await fetch_order(conn, order_id)
        assert order is not None  # noqa: S101 - committed just above on this connection
        return order

    async def _create_in(self, conn: AsyncConnection[Any], draft: CheckoutDraft) -> UUID:
        now = self._clock()
        params: dict[str, Any] = {"hold": draft.hold_id, "now": now}
        cur = conn.cursor(row_factory=dict_row)
        await cur.execute(LOCK_HOLD, params)
        hold = await cur.fetchone()
        if hold is None or hold["customer"] != draft.customer:
            raise DomainError(ErrorCode.HOLD_NOT_FOUND, "no such hold", metadata={"hold": str(draft.hold_id)})
        if hold["order_id"] is not None:
            if hold["order_request_id"] == draft.request_id:
                return UUID(str(hold["order_id"]))  # a retry of the checkout that made it
            raise DomainError(
                ErrorCode.HOLD_CHECKED_OUT,
                "the hold was already checked out",
                metadata={"order": f"orders/{hold['order_id']}"},
            )
        await _reject_reused_request_id(conn, draft)
        params.update(event=hold["event_id"], seats=list(hold["seat_ids"]))
        held = (await (await conn.execute(SEATS_STILL_HELD, params)).fetchone() or (0,))[0]
        if hold["status"] != HoldStatus.ACTIVE or hold["expires_at"] <= now or held != len(hold["seat_ids"]):
            state = "expired" if hold["status"] == HoldStatus.ACTIVE else str(hold["status"]).lower()
            raise DomainError(ErrorCode.HOLD_NOT_ACTIVE, f"the hold is {state}", metadata={"state": state})
        deadline = draft.window.deadline(now, hold["created_at"], hold["expires_at"])
        params.update(
            deadline=deadline,
            order=draft.order_id,
            reference=order_reference(draft.order_id),
            customer=draft.customer,
            name=draft.customer_name,
            email=draft.customer_email,
            request_id=draft.request_id,
            currency=hold["currency_code"],
            total=sum(hold["prices_minor"]),
            tiers=list(hold["tier_ids"]),
            prices=list(hold["prices_minor"]),
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
        query = _newest_first(
            ORDER_SELECT + " WHERE o.customer = %(customer)s", "o.created_at, o.id", after, limit, params
        )
        async with self._pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(query, params)
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

    async def apply(self, notice: PaymentNotice) -> NoticeResult:
        async with self._pool.connection() as conn:
            return await apply_notice(conn, notice, self._clock(), self._codes)

    async def stale(self, now: datetime, limit: int) -> Sequence[Order]:
        return await self._orders_by(STALE, {"now": now, "limit": limit})

    async def open_sessions_of_ended_orders(self, limit: int) -> Sequence[Order]:
        return await self._orders_by(OPEN_SESSIONS, {"limit": limit})

    async def _orders_by(self, query: str, params: dict[str, Any]) -> Sequence[Order]:
        """The orders whose ids `query` selects, read in one statement (not one read per order)."""
        async with self._pool.connection() as conn:
            ids = [row[0] for row in await (await conn.execute(query, params)).fetchall()]
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(ORDER_SELECT + " WHERE o.id = ANY(%s)", (ids,))
            return [order_from_row(row) for row in await cur.fetchall()]

    async def mark_session_closed(self, order_id: UUID) -> None:
        async with self._pool.connection() as conn:
            await conn.execute(
                "UPDATE payment SET session_closed_at = %s WHERE order_id = %s AND session_closed_at IS NULL",
                (self._clock(), order_id),
            )

    async def refunds_due(self, limit: int) -> Sequence[RefundDue]:
        async with self._pool.connection() as conn:
            rows = await (await conn.execute(REFUNDS_DUE, {"limit": limit})).fetchall()
        return [RefundDue(row[0], Provider(row[1]), row[2], row[3], row[4]) for row in rows]

    async def finish_refund(
        self, order_id: UUID, provider_refund_id: str, *, manual: bool, error: str
    ) -> None:
        async with self._pool.connection() as conn:
            await conn.execute(
                "UPDATE refund SET status = %s, provider_refund_id = %s, last_error = %s, updated_at = %s, "
                "attempts = attempts + 1 WHERE order_id = %s AND status = 'PENDING'",
                ("MANUAL" if manual else "SUCCEEDED", provider_refund_id, error, self._clock(), order_id),
            )

    async def retry_refund_later(self, order_id: UUID, error: str) -> None:
        async with self._pool.connection() as conn:
            await conn.execute(
                "UPDATE refund SET attempts = attempts + 1, last_error = %s, updated_at = %s "
                "WHERE order_id = %s AND status = 'PENDING'",
                (error[:500], self._clock(), order_id),
            )

    async def tickets_for(
        self, customer: str, order_id: UUID | None, after: Cursor | None, limit: int
    ) -> Sequence[Ticket]:
        query = f"SELECT {TICKET_COLUMNS} FROM ticket WHERE customer = %(customer)s"  # noqa: S608 - constants
        params: dict[str, Any] = {"customer": customer, "order": order_id}
        if order_id is not None:
            query += " AND order_id = %(order)s"
        query = _newest_first(query, "issued_at, id", after, limit, params)
        async with self._pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(query, params)
            return [ticket_from_row(row) for row in await cur.fetchall()]

    async def ticket(self, ticket_id: UUID) -> Ticket | None:
        async with self._pool.connection() as conn:
            cur = conn.cursor(row_factory=dict_row)
            await cur.execute(f"SELECT {TICKET_COLUMNS} FROM ticket WHERE id = %s", (ticket_id,))  # noqa: S608
            row = await cur.fetchone()
        return ticket_from_row(row) if row else None


def _newest_first(query: str, key: str, after: Cursor | None, limit: int, params: dict[str, Any]) -> str:
    """Keyset paging, newest first: `key` is "<time column>, <id column>" (constants only)."""
    params["limit"] = limit
    if after is not None:
        query += f" AND ({key}) < (%(after_at)s, %(after_id)s)"
        params.update(after_at=after.sort_value, after_id=after.id)
    descending = ", ".join(f"{column.strip()} DESC" for column in key.split(","))
    return f"{query} ORDER BY {descending} LIMIT %(limit)s"


async def _reject_reused_request_id(conn: AsyncConnection[Any], draft: CheckoutDraft) -> None:
    row = await (
        await conn.execute(
            "SELECT hold_id FROM purchase_order WHERE customer = %s AND request_id = %s",
            (draft.customer, draft.request_id),
        )
    ).fetchone()
    if row is not None and row[0] != draft.hold_id:
        raise DomainError(ErrorCode.REQUEST_ID_REUSED, "this request_id was used for another checkout")
