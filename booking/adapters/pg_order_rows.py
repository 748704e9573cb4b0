"""Reading orders and tickets out of their rows (shared by the order and payment adapters)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from booking.domain.order import Order, OrderItem, OrderState, RefundReason
from booking.domain.payment import PaymentSession, Provider
from booking.domain.ticket import Ticket, TicketStatus
from booking.service_layer.ports import Cursor

ORDER_SELECT = """
SELECT o.id, o.reference, o.event_id, o.hold_id, o.customer, o.customer_name, o.customer_email, o.state,
       o.currency_code, o.total_minor, o.payment_deadline, o.created_at, o.paid_at, o.refund_reason,
       p.provider, p.session_id, p.redirect_url, p.form_fields, p.session_expires_at, p.payment_ref,
       ARRAY(SELECT ARRAY[i.seat_id, i.tier_id, i.price_minor::text] FROM order_item i
             WHERE i.order_id = o.id ORDER BY i.seat_id) AS items
FROM purchase_order o JOIN payment p ON p.order_id = o.id
"""

# An order's valid tickets voided (any refund); the ids they had.
VOID_TICKETS = (
    "UPDATE ticket SET status = 'VOID', voided_at = %s WHERE order_id = %s AND status = 'VALID' RETURNING id"
)
TICKET_COLUMNS = "id, order_id, event_id, seat_id, tier_id, customer, code, status, issued_at"


def order_from_row(row: dict[str, Any]) -> Order:
    provider = Provider(row["provider"])
    session = None
    if row["session_id"]:
        session = PaymentSession(
            provider=provider,
            session_id=row["session_id"],
            redirect_url=row["redirect_url"],
            expires_at=row["session_expires_at"],
            form_fields=dict(row["form_fields"] or {}),
        )
    return Order(
        id=row["id"],
        reference=row["reference"],
        event_id=row["event_id"],
        hold_id=row["hold_id"],
        customer=row["customer"],
        customer_name=row["customer_name"],
        customer_email=row["customer_email"],
        state=OrderState(row["state"]),
        items=tuple(OrderItem(seat, tier, int(price)) for seat, tier, price in row["items"]),
        currency_code=row["currency_code"],
        total_minor=row["total_minor"],
        provider=provider,
        session=session,
        payment_deadline=row["payment_deadline"],
        created_at=row["created_at"],
        paid_at=row["paid_at"],
        refund_reason=RefundReason(row["refund_reason"]),
        payment_ref=row["payment_ref"],
    )


async def fetch_order(conn: AsyncConnection[Any], order_id: UUID, *, lock: bool = False) -> Order | None:
    """`lock` takes the order row's lock: every change to an order happens under it, so concurrent
    webhooks, cancellations and the reconciler take turns."""
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(ORDER_SELECT + " WHERE o.id = %s" + (" FOR UPDATE OF o" if lock else ""), (order_id,))
    row = await cur.fetchone()
    return order_from_row(row) if row else None


def ticket_from_row(row: dict[str, Any]) -> Ticket:
    return Ticket(
        id=row["id"],
        order_id=row["order_id"],
        event_id=row["event_id"],
        seat_id=row["seat_id"],
        tier_id=row["tier_id"],
        customer=row["customer"],
        code=row["code"],
        status=TicketStatus(row["status"]),
        issued_at=row["issued_at"],
    )


def contains_pattern(text: str) -> str:
    """An ILIKE pattern matching `text` anywhere, its own % and _ taken literally."""
    return "%" + escape_like(text) + "%"


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def newest_first(query: str, key: str, after: Cursor | None, limit: int, params: dict[str, Any]) -> str:
    """Keyset paging, newest first: `key` is "<time column>, <id column>" (constants only)."""
    params["limit"] = limit
    if after is not None:
        query += f" AND ({key}) < (%(after_at)s, %(after_id)s)"
        params.update(after_at=after.sort_value, after_id=after.id)
    descending = ", ".join(f"{column.strip()} DESC" for column in key.split(","))
    return f"{query} ORDER BY {descending} LIMIT %(limit)s"


async def event_organizer(pool: AsyncConnectionPool[AsyncConnection[Any]], event_id: UUID) -> str | None:
    """The organizer of an event, or None when there is none: the ownership check of the gate and sales
    views."""
    async with pool.connection() as conn:
        row = await (await conn.execute("SELECT organizer FROM event WHERE id = %s", (event_id,))).fetchone()
    return str(row[0]) if row else None
