"""Catalog, seat inventory, outbox and idempotency tables.

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-28 15:35:35.213749
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "idempotency",
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("operation", sa.String(length=60), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.LargeBinary(), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("subject", "operation", "request_id", name=op.f("pk_idempotency")),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("aggregate", sa.String(length=40), nullable=False),
        sa.Column("aggregate_id", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=200), nullable=False),
        sa.Column("routing_key", sa.String(length=100), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    op.create_index(
        "ix_outbox_unpublished",
        "outbox",
        ["created_at"],
        unique=False,
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.create_table(
        "venue",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("owner", sa.String(length=255), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_venue")),
    )
    op.create_index(op.f("ix_venue_owner"), "venue", ["owner"], unique=False)
    op.create_table(
        "seat_map",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("venue_id", sa.UUID(), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["venue_id"], ["venue.id"], name=op.f("fk_seat_map_venue_id_venue")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seat_map")),
    )
    op.create_index(op.f("ix_seat_map_venue_id"), "seat_map", ["venue_id"], unique=False)
    op.create_table(
        "event",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("organizer", sa.String(length=255), nullable=False),
        sa.Column("venue_id", sa.UUID(), nullable=False),
        sa.Column("seat_map_id", sa.UUID(), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sale_starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sale_ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("max_seats_per_customer", sa.Integer(), nullable=False),
        sa.Column("currency_code", sa.String(length=3), nullable=False),
        sa.Column("seat_count", sa.Integer(), nullable=False),
        sa.Column("cancel_reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "search",
            postgresql.TSVECTOR(),
            sa.Computed(
                "to_tsvector('simple', display_name || ' ' || description || ' ' || category || ' ' || city)",
                persisted=True,
            ),
            nullable=False,
        ),
        sa.CheckConstraint("status IN ('DRAFT', 'PUBLISHED', 'CANCELLED')", name=op.f("ck_event_status")),
        sa.CheckConstraint(
            "ends_at > starts_at AND sale_ends_at > sale_starts_at", name=op.f("ck_event_schedule")
        ),
        sa.ForeignKeyConstraint(["seat_map_id"], ["seat_map.id"], name=op.f("fk_event_seat_map_id_seat_map")),
        sa.ForeignKeyConstraint(["venue_id"], ["venue.id"], name=op.f("fk_event_venue_id_venue")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event")),
    )
    op.create_index("ix_event_listing", "event", ["status", "starts_at", "id"], unique=False)
    op.create_index("ix_event_organizer", "event", ["organizer", "starts_at", "id"], unique=False)
    op.create_index("ix_event_search", "event", ["search"], unique=False, postgresql_using="gin")
    op.create_index(op.f("ix_event_seat_map_id"), "event", ["seat_map_id"], unique=False)
    op.create_table(
        "seat_map_section",
        sa.Column("seat_map_id", sa.UUID(), nullable=False),
        sa.Column("section_id", sa.String(length=20), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["seat_map_id"],
            ["seat_map.id"],
            name=op.f("fk_seat_map_section_seat_map_id_seat_map"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("seat_map_id", "section_id", name=op.f("pk_seat_map_section")),
    )
    op.create_table(
        "price_tier",
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("tier_id", sa.String(length=30), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("price_minor", sa.BigInteger(), nullable=False),
        sa.Column("section_ids", postgresql.ARRAY(sa.String(length=20)), nullable=False),
        sa.Column("seat_ids", postgresql.ARRAY(sa.String(length=40)), nullable=False),
        sa.CheckConstraint("price_minor >= 0", name=op.f("ck_price_tier_price_not_negative")),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], name=op.f("fk_price_tier_event_id_event")),
        sa.PrimaryKeyConstraint("event_id", "tier_id", name=op.f("pk_price_tier")),
    )
    op.create_table(
        "seat",
        sa.Column("seat_map_id", sa.Uuid(), nullable=False),
        sa.Column("seat_id", sa.String(length=40), nullable=False),
        sa.Column("section_id", sa.String(length=20), nullable=False),
        sa.Column("row_label", sa.String(length=4), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("x", sa.Double(), nullable=False),
        sa.Column("y", sa.Double(), nullable=False),
        sa.Column("accessible", sa.Boolean(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["seat_map_id", "section_id"],
            ["seat_map_section.seat_map_id", "seat_map_section.section_id"],
            name=op.f("fk_seat_seat_map_id_seat_map_section"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("seat_map_id", "seat_id", name=op.f("pk_seat")),
    )
    op.create_table(
        "event_seat",
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("seat_id", sa.String(length=40), nullable=False),
        sa.Column("tier_id", sa.String(length=30), nullable=False),
        sa.Column("status", sa.String(length=10), server_default=sa.text("'AVAILABLE'"), nullable=False),
        sa.Column("hold_id", sa.UUID(), nullable=True),
        sa.Column("holder", sa.String(length=255), nullable=True),
        sa.Column("hold_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint(
            "(status = 'AVAILABLE') = (hold_id IS NULL)", name=op.f("ck_event_seat_hold_matches_status")
        ),
        sa.CheckConstraint("status IN ('AVAILABLE', 'HELD', 'BOOKED')", name=op.f("ck_event_seat_status")),
        sa.ForeignKeyConstraint(
            ["event_id", "tier_id"],
            ["price_tier.event_id", "price_tier.tier_id"],
            name=op.f("fk_event_seat_event_id_price_tier"),
        ),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], name=op.f("fk_event_seat_event_id_event")),
        sa.PrimaryKeyConstraint("event_id", "seat_id", name=op.f("pk_event_seat")),
    )


def downgrade() -> None:
    op.drop_table("event_seat")
    op.drop_table("seat")
    op.drop_table("price_tier")
    op.drop_table("seat_map_section")
    op.drop_index(op.f("ix_event_seat_map_id"), table_name="event")
    op.drop_index("ix_event_search", table_name="event", postgresql_using="gin")
    op.drop_index("ix_event_organizer", table_name="event")
    op.drop_index("ix_event_listing", table_name="event")
    op.drop_table("event")
    op.drop_index(op.f("ix_seat_map_venue_id"), table_name="seat_map")
    op.drop_table("seat_map")
    op.drop_index(op.f("ix_venue_owner"), table_name="venue")
    op.drop_table("venue")
    op.drop_index(
        "ix_outbox_unpublished", table_name="outbox", postgresql_where=sa.text("published_at IS NULL")
    )
    op.drop_table("outbox")
    op.drop_table("idempotency")
