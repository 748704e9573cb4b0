"""The PostgreSQL schema as typed SQLAlchemy 2.0 models. Alembic migrations are the only way it
changes; a test checks that the migrated database and these models agree."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    DateTime,
    Double,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Deterministic constraint names, so migrations can name what they drop.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _now() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now())


class VenueRow(Base):
    __tablename__ = "venue"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True)
    owner: Mapped[str] = mapped_column(String(255), index=True)
    display_name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(500))
    city: Mapped[str] = mapped_column(String(100))
    country_code: Mapped[str] = mapped_column(String(2))
    time_zone: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = _now()
    updated_at: Mapped[datetime] = _now()


class SeatMapRow(Base):
    __tablename__ = "seat_map"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True)
    venue_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("venue.id"), index=True)
    display_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = _now()
    updated_at: Mapped[datetime] = _now()


class SeatMapSectionRow(Base):
    __tablename__ = "seat_map_section"

    seat_map_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("seat_map.id", ondelete="CASCADE"), primary_key=True
    )
    section_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(100))
    ordinal: Mapped[int] = mapped_column(Integer)


class SeatRow(Base):
    __tablename__ = "seat"

    seat_map_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    seat_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    section_id: Mapped[str] = mapped_column(String(20))
    row_label: Mapped[str] = mapped_column(String(4))
    number: Mapped[int] = mapped_column(Integer)
    x: Mapped[float] = mapped_column(Double)
    y: Mapped[float] = mapped_column(Double)
    accessible: Mapped[bool] = mapped_column(Boolean, default=False)
    ordinal: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        ForeignKeyConstraint(
            ["seat_map_id", "section_id"],
            ["seat_map_section.seat_map_id", "seat_map_section.section_id"],
            ondelete="CASCADE",
        ),
    )


class EventRow(Base):
    __tablename__ = "event"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True)
    organizer: Mapped[str] = mapped_column(String(255))
    venue_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("venue.id"))
    seat_map_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("seat_map.id"), index=True)
    city: Mapped[str] = mapped_column(String(100))
    display_name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(40))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sale_starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sale_ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16))
    max_seats_per_customer: Mapped[int] = mapped_column(Integer)
    refund_until_hours: Mapped[int | None] = mapped_column(Integer)
    currency_code: Mapped[str] = mapped_column(String(3))
    seat_count: Mapped[int] = mapped_column(Integer)
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = _now()
    updated_at: Mapped[datetime] = _now()
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # 'simple' config: event titles mix languages and names, so no stemming or stop words.
    search: Mapped[str] = mapped_column(
        TSVECTOR,
        Computed(
            "to_tsvector('simple', display_name || ' ' || description || ' ' || category || ' ' || city)",
            persisted=True,
        ),
    )

    __table_args__ = (
        CheckConstraint("status IN ('DRAFT', 'PUBLISHED', 'CANCELLED')", name="status"),
        CheckConstraint("ends_at > starts_at AND sale_ends_at > sale_starts_at", name="schedule"),
        Index("ix_event_search", "search", postgresql_using="gin"),
        Index("ix_event_listing", "status", "starts_at", "id"),
        Index("ix_event_organizer", "organizer", "starts_at", "id"),
    )


class PriceTierRow(Base):
    __tablename__ = "price_tier"

    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("event.id"), primary_key=True)
    tier_id: Mapped[str] = mapped_column(String(30), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(100))
    price_minor: Mapped[int] = mapped_column(BigInteger)
    section_ids: Mapped[list[str]] = mapped_column(ARRAY(String(20)))
    seat_ids: Mapped[list[str]] = mapped_column(ARRAY(String(40)))

    __table_args__ = (CheckConstraint("price_minor >= 0", name="price_not_negative"),)


class EventSeatRow(Base):
    """The hot table: one row per seat of a published event. Its primary key makes a second hold or
    sale of a seat impossible to even represent; status changes are conditional UPDATEs."""

    __tablename__ = "event_seat"

    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("event.id"), primary_key=True)
    seat_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tier_id: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(10), server_default=text("'AVAILABLE'"))
    hold_id: Mapped[uuid.UUID | None] = mapped_column(UUID)
    holder: Mapped[str | None] = mapped_column(String(255))
    hold_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, server_default=text("0"))

    __table_args__ = (
        CheckConstraint("status IN ('AVAILABLE', 'HELD', 'BOOKED')", name="status"),
        CheckConstraint("(status = 'AVAILABLE') = (hold_id IS NULL)", name="hold_matches_status"),
        ForeignKeyConstraint(["event_id", "tier_id"], ["price_tier.event_id", "price_tier.tier_id"]),
        Index("ix_event_seat_holder", "event_id", "holder", postgresql_where=text("holder IS NOT NULL")),
    )


class OutboxRow(Base):
    """Domain events committed with the change that caused them; the relay publishes unpublished rows."""

    __tablename__ = "outbox"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True)
    aggregate: Mapped[str] = mapped_column(String(40))
    aggregate_id: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(200))
    routing_key: Mapped[str] = mapped_column(String(100))
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = _now()
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_outbox_unpublished", "created_at", postgresql_where=text("published_at IS NULL")),
    )


class IdempotencyRow(Base):
    """First outcome of each (caller, operation, request_id): replayed to retries."""

    __tablename__ = "idempotency"

    subject: Mapped[str] = mapped_column(String(255), primary_key=True)
    operation: Mapped[str] = mapped_column(String(60), primary_key=True)
    request_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    fingerprint: Mapped[bytes] = mapped_column(LargeBinary)
    result: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = _now()


class HoldRow(Base):
    """One claim of seats by one customer. (customer, request_id) is unique: a retried HoldSeats
    finds the first hold instead of making a second."""

    __tablename__ = "hold"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("event.id"))
    customer: Mapped[str] = mapped_column(String(255))
    request_id: Mapped[str] = mapped_column(String(64))
    seat_ids: Mapped[list[str]] = mapped_column(ARRAY(String(40)))
    tier_ids: Mapped[list[str]] = mapped_column(ARRAY(String(30)))
    prices_minor: Mapped[list[int]] = mapped_column(ARRAY(BigInteger))
    currency_code: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(10))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = _now()
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint("status IN ('ACTIVE', 'RELEASED', 'EXPIRED', 'CONVERTED')", name="status"),
        Index("uq_hold_customer_request", "customer", "request_id", unique=True),
        Index("ix_hold_active_expiry", "expires_at", postgresql_where=text("status = 'ACTIVE'")),
    )


class HoldSeatRow(Base):
    """The database's own proof of invariant I1: at most one live hold per seat, whatever the code does."""

    __tablename__ = "hold_seat"

    hold_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("hold.id"), primary_key=True)
    seat_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(UUID)
    live: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))

    __table_args__ = (
        Index("uq_hold_seat_live", "event_id", "seat_id", unique=True, postgresql_where=text("live")),
    )


class CustomerEventRow(Base):
    """A row per (event, customer), locked by each claim so the per-customer limit is counted
    without a race: two claims of one customer take turns here."""

    __tablename__ = "customer_event"

    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("event.id"), primary_key=True)
    customer: Mapped[str] = mapped_column(String(255), primary_key=True)
    touched_at: Mapped[datetime] = _now()
