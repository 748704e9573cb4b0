"""The notification schema as SQLAlchemy tables: what Alembic migrates and a test compares against.
The service owns schema `notification` and reads no other; ids are the booking service's, as text."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

SCHEMA = "notification"

metadata = MetaData(
    schema=SCHEMA,
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",  # no schema prefix: the schema is the namespace
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    },
)


def _at(name: str, *, nullable: bool = False) -> Column[object]:
    return Column(name, DateTime(timezone=True), nullable=nullable)


# One row per bus event handled: the consumer's idempotency key (I5), written in the same transaction
# as the deliveries the event causes.
processed_event = Table(
    "processed_event",
    metadata,
    Column("event_id", String(64), primary_key=True),
    Column("type", String(100), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

ticket_order = Table(
    "ticket_order",
    metadata,
    Column("order_id", String(64), primary_key=True),
    Column("reference", String(64), nullable=False),
    Column("buyer_subject", String(255), nullable=False, index=True),
    Column("buyer_name", String(200), nullable=False),
    Column("buyer_email", String(320), nullable=False),
    Column("event_id", String(64), nullable=False),
    Column("event_name", String(200), nullable=False),
    Column("venue_name", String(200), nullable=False),
    Column("city", String(100), nullable=False),
    _at("start_time"),
    Column("time_zone", String(64), nullable=False),
    Column("total_minor", BigInteger, nullable=False),
    Column("currency_code", String(3), nullable=False),
    _at("confirmed_at", nullable=True),
    _at("refunded_at", nullable=True),
)

ticket = Table(
    "ticket",
    metadata,
    Column("ticket_id", String(64), primary_key=True),
    Column("order_id", ForeignKey("ticket_order.order_id"), nullable=False, index=True),
    Column("ordinal", Integer, nullable=False),
    Column("seat_id", String(64), nullable=False),
    Column("section", String(100), nullable=False),
    Column("row_label", String(50), nullable=False),
    Column("seat_label", String(50), nullable=False),
    Column("tier_id", String(64), nullable=False),
    Column("tier_name", String(100), nullable=False),
    Column("price_minor", BigInteger, nullable=False),
    Column("code", Text, nullable=False),
    Column("pdf_key", String(300), nullable=True),
    _at("pdf_stored_at", nullable=True),
    Column("void", Boolean, nullable=False, server_default=text("false")),
)

delivery = Table(
    "delivery",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("order_id", ForeignKey("ticket_order.order_id"), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("state", String(20), nullable=False),
    Column("recipient", String(320), nullable=False),
    Column("attachment_count", Integer, nullable=False),
    Column("subject", Text, nullable=False),
    Column("body_plain", Text, nullable=False),
    Column("body_html", Text, nullable=False),
    Column("attachments", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    _at("caused_at"),
    _at("created_at"),
    _at("sent_at", nullable=True),
    Column("error", Text, nullable=False, server_default=text("''")),
    Index("ix_delivery_order_created", "order_id", "created_at"),
    # The resend sweep reads only PENDING rows: a partial index keeps it cheap however many were sent.
    Index("ix_delivery_pending", "created_at", postgresql_where=text("state = 'PENDING'")),
)
