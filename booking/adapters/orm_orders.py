"""The order tables as typed models, beside the catalog and hold tables in orm.py. The order path reads
and writes them in raw psycopg (pg_orders.py, pg_payments.py); these models are the schema's typed
statement, and the schema test holds them and migration 0004 to each other."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from booking.adapters.orm import Base, _now


class OrderRow(Base):
    """`order` is a reserved word, hence `purchase_order`. One order per hold; a retried checkout finds
    it by (customer, request_id)."""

    __tablename__ = "purchase_order"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("event.id"))
    hold_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("hold.id"), unique=True)
    customer: Mapped[str] = mapped_column(String(255))
    customer_name: Mapped[str] = mapped_column(String(200), server_default="")
    customer_email: Mapped[str] = mapped_column(String(320), server_default="")
    request_id: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    currency_code: Mapped[str] = mapped_column(String(3))
    total_minor: Mapped[int] = mapped_column(BigInteger)
    payment_deadline: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    refund_reason: Mapped[str] = mapped_column(String(20), server_default="")
    created_at: Mapped[datetime] = _now()
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(
            "state IN ('PENDING_PAYMENT', 'PAID', 'CANCELLED', 'EXPIRED', 'REFUNDED')", name="state"
        ),
        CheckConstraint("total_minor >= 0", name="total"),
        UniqueConstraint("customer", "request_id", name="uq_order_customer_request"),
        Index("ix_order_customer", "customer", text("created_at DESC"), text("id DESC")),
        Index("ix_order_pending", "payment_deadline", postgresql_where=text("state = 'PENDING_PAYMENT'")),
    )


class OrderItemRow(Base):
    __tablename__ = "order_item"

    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("purchase_order.id"), primary_key=True)
    seat_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tier_id: Mapped[str] = mapped_column(String(30))
    price_minor: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (CheckConstraint("price_minor >= 0", name="price"),)


class PaymentRow(Base):
    """The provider session of an order and, once captured, the provider's payment id."""

    __tablename__ = "payment"

    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("purchase_order.id"), primary_key=True)
    provider: Mapped[str] = mapped_column(String(10))
    session_id: Mapped[str] = mapped_column(String(255), server_default="")
    redirect_url: Mapped[str] = mapped_column(Text, server_default="")
    form_fields: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    session_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    session_closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    payment_ref: Mapped[str] = mapped_column(String(255), server_default="")
    captured_minor: Mapped[int | None] = mapped_column(BigInteger)
    captured_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_payment_session", "provider", "session_id"),
        Index("ix_payment_ref", "provider", "payment_ref", postgresql_where=text("payment_ref <> ''")),
    )


class PaymentEventRow(Base):
    """Webhook idempotency: inserted in the transaction that applies the event."""

    __tablename__ = "payment_event"

    provider: Mapped[str] = mapped_column(String(10), primary_key=True)
    provider_event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    order_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("purchase_order.id"))
    kind: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(40))
    received_at: Mapped[datetime] = _now()


class RefundRow(Base):
    """At most one per order, ever; the order id is the provider's idempotency key."""

    __tablename__ = "refund"

    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("purchase_order.id"), primary_key=True)
    provider: Mapped[str] = mapped_column(String(10))
    payment_ref: Mapped[str] = mapped_column(String(255))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency_code: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10))
    provider_refund_id: Mapped[str] = mapped_column(String(255), server_default="")
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    last_error: Mapped[str] = mapped_column(Text, server_default="")
    created_at: Mapped[datetime] = _now()
    updated_at: Mapped[datetime] = _now()
    requested_by: Mapped[str] = mapped_column(String(255), server_default="")
    request_id: Mapped[str] = mapped_column(String(64), server_default="")
    leased_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint("status IN ('PENDING', 'SUCCEEDED', 'MANUAL')", name="status"),
        Index("ix_refund_pending", "updated_at", postgresql_where=text("status = 'PENDING'")),
    )


class TicketRow(Base):
    """One per seat of a paid order. The partial unique index is invariant I1 for sold seats."""

    __tablename__ = "ticket"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True)
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("purchase_order.id"))
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("event.id"))
    seat_id: Mapped[str] = mapped_column(String(40))
    tier_id: Mapped[str] = mapped_column(String(30))
    customer: Mapped[str] = mapped_column(String(255))
    code: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(5))
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    voided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    admitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    admitted_gate: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (
        CheckConstraint("status IN ('VALID', 'VOID')", name="status"),
        Index(
            "uq_ticket_seat_live",
            "event_id",
            "seat_id",
            unique=True,
            postgresql_where=text("status <> 'VOID'"),
        ),
        Index("ix_ticket_customer", "customer", text("issued_at DESC"), text("id DESC")),
        Index("ix_ticket_order", "order_id"),
    )
