"""The notification schema through psycopg 3 (synchronous: the bus consumer is pika's blocking client,
and the gRPC server runs these short transactions in worker threads)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Self
from uuid import UUID

import psycopg
import psycopg.errors
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool, PoolTimeout

from notification.domain.delivery import Delivery, DeliveryKind, DeliveryState
from notification.domain.mail_content import MailContent
from notification.domain.tickets import Buyer, EventInfo, OrderTickets, RefundNotice, TicketLine
from notification.service_layer.ports import Attachment, QueuedMail, StoredOrder, StoredTicket, TransientError

Row = dict[str, Any]

UPSERT_ORDER = """
INSERT INTO notification.ticket_order (order_id, reference, buyer_subject, buyer_name, buyer_email,
    event_id, event_name, venue_name, city, start_time, time_zone, total_minor, currency_code, confirmed_at,
    refunded_at)
VALUES (%(order_id)s, %(reference)s, %(buyer_subject)s, %(buyer_name)s, %(buyer_email)s, %(event_id)s,
    %(event_name)s, %(venue_name)s, %(city)s, %(start_time)s, %(time_zone)s, %(total_minor)s,
    %(currency_code)s, %(confirmed_at)s, %(refunded_at)s)
ON CONFLICT (order_id) DO UPDATE SET {updates}
"""
# A confirmation carries the whole order: it wins over what a refund that overtook it recorded, except
# the refund itself. A refund only adds its time.
CONFIRM_UPDATES = ", ".join(
    f"{c} = EXCLUDED.{c}"
    for c in [
        "reference",
        "buyer_subject",
        "buyer_name",
        "buyer_email",
        "event_id",
        "event_name",
        "venue_name",
        "city",
        "start_time",
        "time_zone",
        "total_minor",
        "currency_code",
        "confirmed_at",
    ]
)
REFUND_UPDATES = "refunded_at = coalesce(notification.ticket_order.refunded_at, EXCLUDED.refunded_at)"

INSERT_TICKET = """
INSERT INTO notification.ticket (ticket_id, order_id, ordinal, seat_id, section, row_label, seat_label,
    tier_id, tier_name, price_minor, code, void)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,
    (SELECT refunded_at IS NOT NULL FROM notification.ticket_order WHERE order_id = %s))
ON CONFLICT (ticket_id) DO NOTHING
"""
SELECT_ORDER = {
    False: "SELECT * FROM notification.ticket_order WHERE order_id = %s",
    True: "SELECT * FROM notification.ticket_order WHERE order_id = %s FOR UPDATE",
}
SELECT_DELIVERY = {
    False: "SELECT * FROM notification.delivery WHERE id = %s",
    True: "SELECT * FROM notification.delivery WHERE id = %s FOR UPDATE",
}
SELECT_TICKETS = """
SELECT t.*, o.buyer_subject FROM notification.ticket t JOIN notification.ticket_order o USING (order_id)
"""
INSERT_DELIVERY = """
INSERT INTO notification.delivery (id, order_id, kind, state, recipient, attachment_count, subject,
    body_plain, body_html, attachments, caused_at, created_at, sent_at, error)
VALUES (%(id)s, %(order_id)s, %(kind)s, %(state)s, %(recipient)s, %(attachment_count)s, %(subject)s,
    %(body_plain)s, %(body_html)s, %(attachments)s, %(caused_at)s, %(created_at)s, %(sent_at)s, %(error)s)
ON CONFLICT (id) DO NOTHING
"""


def _ticket(row: Row) -> StoredTicket:
    line = TicketLine(
        row["ticket_id"],
        row["seat_id"],
        row["section"],
        row["row_label"],
        row["seat_label"],
        row["tier_id"],
        row["tier_name"],
        row["price_minor"],
        row["code"],
    )
    return StoredTicket(line, row["order_id"], row["buyer_subject"], row["pdf_key"], row["void"])


def _order(row: Row) -> StoredOrder:
    event = EventInfo(
        row["event_id"],
        row["event_name"],
        row["venue_name"],
        row["city"],
        row["start_time"],
        row["time_zone"],
    )
    buyer = Buyer(row["buyer_subject"], row["buyer_name"], row["buyer_email"])
    return StoredOrder(
        row["order_id"],
        row["reference"],
        buyer,
        event,
        row["total_minor"],
        row["currency_code"],
        row["confirmed_at"] is not None,
        row["refunded_at"] is not None,
    )


def _delivery(row: Row) -> Delivery:
    return Delivery(
        row["id"],
        row["order_id"],
        DeliveryKind(row["kind"]),
        DeliveryState(row["state"]),
        row["recipient"],
        row["attachment_count"],
        row["created_at"],
        row["caused_at"],
        row["sent_at"],
        row["error"],
    )


def _order_params(
    order_id: str, reference: str, buyer: Buyer, event: EventInfo, total: int, currency: str
) -> Row:
    return {
        "order_id": order_id, "reference": reference, "buyer_subject": buyer.subject,
        "buyer_name": buyer.display_name, "buyer_email": buyer.email, "event_id": event.event_id,
        "event_name": event.display_name, "venue_name": event.venue_name, "city": event.city,
        "start_time": event.start_time, "time_zone": event.time_zone, "total_minor": total,
        "currency_code": currency, "confirmed_at": None, "refunded_at": None,
    }  # fmt: skip


# Database trouble that no message causes: connection loss, lock timeouts, and a schema that is not
# (yet) migrated or not ours to write. The consumer waits these out instead of dead-lettering every
# ticket email that arrives while an operator runs the migration.
_INFRASTRUCTURE = (
    psycopg.OperationalError,
    psycopg.InterfaceError,
    psycopg.errors.UndefinedTable,
    psycopg.errors.UndefinedColumn,
    psycopg.errors.InvalidSchemaName,
    psycopg.errors.InsufficientPrivilege,
)


class PgUnitOfWork:
    """One transaction on a pooled connection, READ COMMITTED. Losing the database is a TransientError:
    the work is retried whole, and nothing of it was committed."""

    def __init__(self, pool: ConnectionPool[psycopg.Connection[Row]]) -> None:
        self._pool = pool
        self._conn: psycopg.Connection[Row] | None = None

    def __enter__(self) -> Self:
        try:
            self._conn = self._pool.getconn()
        except PoolTimeout as exc:
            raise TransientError("no database connection") from exc
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        conn, self._conn = self._conn, None
        assert conn is not None  # noqa: S101 - only reachable after __enter__
        try:
            if not conn.closed:
                conn.rollback()  # a no-op after commit; undoes everything otherwise
        except psycopg.Error:
            pass  # the pool checks the connection and discards it when broken
        finally:
            self._pool.putconn(conn)
        if isinstance(exc, _INFRASTRUCTURE):
            raise TransientError(f"database: {exc}") from exc

    @property
    def _db(self) -> psycopg.Connection[Row]:
        assert self._conn is not None  # noqa: S101 - only reachable after __enter__
        return self._conn

    def commit(self) -> None:
        self._db.commit()

    def _one(self, query: str, params: Sequence[Any] | Row) -> Row | None:
        return self._db.execute(query, params).fetchone()

    def record_event(self, event_id: str, type_name: str, at: datetime) -> bool:
        cur = self._db.execute(
            "INSERT INTO notification.processed_event (event_id, type, received_at) VALUES (%s, %s, %s) "
            "ON CONFLICT (event_id) DO NOTHING",
            (event_id, type_name, at),
        )
        return cur.rowcount == 1

    def save_order(self, order: OrderTickets, *, at: datetime) -> None:
        # The upsert waits for a refund of the same order committing meanwhile and keeps its
        # refunded_at; the tickets, inserted after it in this transaction, read that to be void.
        params = _order_params(
            order.order_id, order.reference, order.buyer, order.event, order.total_minor, order.currency_code
        )
        params["confirmed_at"] = at
        self._db.execute(UPSERT_ORDER.format(updates=CONFIRM_UPDATES), params)
        with self._db.cursor() as cur:
            cur.executemany(
                INSERT_TICKET,
                [
                    (t.ticket_id, order.order_id, i, t.seat_id, t.section, t.row, t.seat_label, t.tier_id,
                     t.tier_name, t.price_minor, t.code, order.order_id)
                    for i, t in enumerate(order.tickets)
                ],
            )  # fmt: skip

    def order(self, order_id: str, *, lock: bool = False) -> StoredOrder | None:
        row = self._one(SELECT_ORDER[lock], (order_id,))
        return None if row is None else _order(row)

    def mark_refunded(self, notice: RefundNotice, at: datetime) -> None:
        params = _order_params(
            notice.order_id, notice.reference or notice.order_id, notice.buyer, notice.event,
            notice.amount_minor, notice.currency_code,
        )  # fmt: skip
        params["refunded_at"] = at
        self._db.execute(UPSERT_ORDER.format(updates=REFUND_UPDATES), params)
        self._db.execute(
            "UPDATE notification.ticket SET void = true WHERE order_id = %s AND ticket_id = ANY(%s)",
            (notice.order_id, list(notice.voided_ticket_ids)),
        )

    def tickets(self, order_id: str) -> list[StoredTicket]:
        rows = self._db.execute(SELECT_TICKETS + " WHERE order_id = %s ORDER BY ordinal", (order_id,))
        return [_ticket(row) for row in rows]

    def ticket(self, ticket_id: str) -> StoredTicket | None:
        row = self._one(SELECT_TICKETS + " WHERE ticket_id = %s", (ticket_id,))
        return None if row is None else _ticket(row)

    def set_pdf(self, ticket_id: str, key: str, at: datetime) -> None:
        self._db.execute(
            "UPDATE notification.ticket SET pdf_key = %s, pdf_stored_at = %s WHERE ticket_id = %s",
            (key, at, ticket_id),
        )

    def add_delivery(self, mail: QueuedMail) -> None:
        d = mail.delivery
        self._db.execute(
            INSERT_DELIVERY,
            {
                "id": d.id, "order_id": d.order_id, "kind": d.kind.value, "state": d.state.value,
                "recipient": d.recipient, "attachment_count": d.attachment_count,
                "subject": mail.content.subject, "body_plain": mail.content.plain,
                "body_html": mail.content.html,
                "attachments": Jsonb([{"key": a.key, "filename": a.filename} for a in mail.attachments]),
                "caused_at": d.caused_at, "created_at": d.created_at, "sent_at": d.sent_at, "error": d.error,
            },
        )  # fmt: skip

    def delivery(self, delivery_id: UUID, *, lock: bool = False) -> QueuedMail | None:
        row = self._one(SELECT_DELIVERY[lock], (delivery_id,))
        if row is None:
            return None
        content = MailContent(row["subject"], row["body_plain"], row["body_html"])
        files = tuple(Attachment(a["key"], a["filename"]) for a in row["attachments"])
        return QueuedMail(_delivery(row), content, files)

    def deliveries(self, order_id: str) -> list[Delivery]:
        rows = self._db.execute(
            "SELECT * FROM notification.delivery WHERE order_id = %s ORDER BY created_at DESC, id",
            (order_id,),
        )
        return [_delivery(row) for row in rows]

    def update_delivery(self, delivery: Delivery) -> None:
        self._db.execute(
            "UPDATE notification.delivery SET state = %s, sent_at = %s, error = %s WHERE id = %s",
            (delivery.state.value, delivery.sent_at, delivery.error, delivery.id),
        )

    def resend_times(self, order_id: str) -> list[datetime]:
        rows = self._db.execute(
            "SELECT created_at FROM notification.delivery WHERE order_id = %s AND kind = %s",
            (order_id, DeliveryKind.RESEND.value),
        )
        return [row["created_at"] for row in rows]

    def pending(self, kinds: Sequence[DeliveryKind], created_before: datetime, limit: int) -> list[UUID]:
        rows = self._db.execute(
            "SELECT id FROM notification.delivery WHERE state = 'PENDING' AND kind = ANY(%s) "
            "AND created_at < %s ORDER BY created_at LIMIT %s",
            ([k.value for k in kinds], created_before, limit),
        )
        return [row["id"] for row in rows]


def open_pool(url: str, size: int) -> ConnectionPool[psycopg.Connection[Row]]:
    """Opened at once and checked on checkout, so a restarted database costs one failed unit of work,
    not a pool of dead connections."""
    return ConnectionPool(
        url,
        min_size=1,
        max_size=size,
        kwargs={"row_factory": dict_row},
        check=ConnectionPool.check_connection,
        timeout=10,
        open=True,
    )
