"""Seat holds, live hold seats (partial unique index) and the per-customer lock row.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 15:53:19.656451
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "customer_event",
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("customer", sa.String(length=255), nullable=False),
        sa.Column("touched_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], name=op.f("fk_customer_event_event_id_event")),
        sa.PrimaryKeyConstraint("event_id", "customer", name=op.f("pk_customer_event")),
    )
    op.create_table(
        "hold",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("customer", sa.String(length=255), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("seat_ids", postgresql.ARRAY(sa.String(length=40)), nullable=False),
        sa.Column("tier_ids", postgresql.ARRAY(sa.String(length=30)), nullable=False),
        sa.Column("prices_minor", postgresql.ARRAY(sa.BigInteger()), nullable=False),
        sa.Column("currency_code", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('ACTIVE', 'RELEASED', 'EXPIRED', 'CONVERTED')", name=op.f("ck_hold_status")
        ),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], name=op.f("fk_hold_event_id_event")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hold")),
    )
    op.create_index(
        "ix_hold_active_expiry",
        "hold",
        ["expires_at"],
        unique=False,
        postgresql_where=sa.text("status = 'ACTIVE'"),
    )
    op.create_index("uq_hold_customer_request", "hold", ["customer", "request_id"], unique=True)
    op.create_table(
        "hold_seat",
        sa.Column("hold_id", sa.UUID(), nullable=False),
        sa.Column("seat_id", sa.String(length=40), nullable=False),
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("live", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.ForeignKeyConstraint(["hold_id"], ["hold.id"], name=op.f("fk_hold_seat_hold_id_hold")),
        sa.PrimaryKeyConstraint("hold_id", "seat_id", name=op.f("pk_hold_seat")),
    )
    op.create_index(
        "uq_hold_seat_live",
        "hold_seat",
        ["event_id", "seat_id"],
        unique=True,
        postgresql_where=sa.text("live"),
    )
    op.create_index(
        "ix_event_seat_holder",
        "event_seat",
        ["event_id", "holder"],
        unique=False,
        postgresql_where=sa.text("holder IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_event_seat_holder", table_name="event_seat", postgresql_where=sa.text("holder IS NOT NULL")
    )
    op.drop_index("uq_hold_seat_live", table_name="hold_seat", postgresql_where=sa.text("live"))
    op.drop_table("hold_seat")
    op.drop_index("uq_hold_customer_request", table_name="hold")
    op.drop_index("ix_hold_active_expiry", table_name="hold", postgresql_where=sa.text("status = 'ACTIVE'"))
    op.drop_table("hold")
    op.drop_table("customer_event")
