"""Notification schema: processed events, orders and tickets as printed, deliveries.

Revision ID: n0001
Revises:
Create Date: 2026-11-28 18:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "n0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

S = "notification"


def _at(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "processed_event",
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_processed_event")),
        schema=S,
    )
    op.create_table(
        "ticket_order",
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("reference", sa.String(64), nullable=False),
        sa.Column("buyer_subject", sa.String(255), nullable=False),
        sa.Column("buyer_name", sa.String(200), nullable=False),
        sa.Column("buyer_email", sa.String(320), nullable=False),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("event_name", sa.String(200), nullable=False),
        sa.Column("venue_name", sa.String(200), nullable=False),
        sa.Column("city", sa.String(100), nullable=False),
        _at("start_time"),
        sa.Column("time_zone", sa.String(64), nullable=False),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency_code", sa.String(3), nullable=False),
        _at("confirmed_at", nullable=True),
        _at("refunded_at", nullable=True),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_ticket_order")),
        schema=S,
    )
    op.create_index(op.f("ix_ticket_order_buyer_subject"), "ticket_order", ["buyer_subject"], schema=S)
    op.create_table(
        "ticket",
        sa.Column("ticket_id", sa.String(64), nullable=False),
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("seat_id", sa.String(64), nullable=False),
        sa.Column("section", sa.String(100), nullable=False),
        sa.Column("row_label", sa.String(50), nullable=False),
        sa.Column("seat_label", sa.String(50), nullable=False),
        sa.Column("tier_id", sa.String(64), nullable=False),
        sa.Column("tier_name", sa.String(100), nullable=False),
        sa.Column("price_minor", sa.BigInteger(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("pdf_key", sa.String(300), nullable=True),
        _at("pdf_stored_at", nullable=True),
        sa.Column("void", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], [f"{S}.ticket_order.order_id"], name=op.f("fk_ticket_order_id_ticket_order")
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_ticket")),
        schema=S,
    )
    op.create_index(op.f("ix_ticket_order_id"), "ticket", ["order_id"], schema=S)
    op.create_table(
        "delivery",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("recipient", sa.String(320), nullable=False),
        sa.Column("attachment_count", sa.Integer(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body_plain", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("attachments", postgresql.JSONB(), server_default=sa.text("'[]'::jsonb"), nullable=False),
        _at("caused_at"),
        _at("created_at"),
        _at("sent_at", nullable=True),
        sa.Column("error", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], [f"{S}.ticket_order.order_id"], name=op.f("fk_delivery_order_id_ticket_order")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery")),
        schema=S,
    )
    op.create_index("ix_delivery_order_created", "delivery", ["order_id", "created_at"], schema=S)
    op.create_index(
        "ix_delivery_pending",
        "delivery",
        ["created_at"],
        schema=S,
        postgresql_where=sa.text("state = 'PENDING'"),
    )


def downgrade() -> None:
    for table in ("delivery", "ticket", "ticket_order", "processed_event"):
        op.drop_table(table, schema=S)
