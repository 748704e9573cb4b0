"""The waiting room's tables as typed models (migration 0009). The waiting room uses them in raw
psycopg (pg_waiting_room.py); the schema test holds these models and the migration to each other."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from booking.adapters.orm import Base


class WaitingRoomRow(Base):
    """One queued event: settings, the seed (secret until the open) and its commitment, the bucket."""

    __tablename__ = "waiting_room"

    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("event.id"), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
    admissions_per_minute: Mapped[int] = mapped_column(Integer)
    pass_lifetime_seconds: Mapped[int] = mapped_column(Integer)
    seed: Mapped[bytes] = mapped_column(LargeBinary)
    commitment: Mapped[str] = mapped_column(Text)
    opens_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    committed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    pre_queue_size: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    next_position: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    tokens: Mapped[float] = mapped_column(Double, server_default=text("0"))
    refilled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    admitted: Mapped[int] = mapped_column(Integer, server_default=text("0"))


class QueueEntryRow(Base):
    """One identity's place in one event's queue."""

    __tablename__ = "queue_entry"

    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("waiting_room.event_id"), primary_key=True)
    subject: Mapped[str] = mapped_column(Text, primary_key=True)
    pseudonym: Mapped[str] = mapped_column(Text)
    request_id: Mapped[str] = mapped_column(Text)
    pre_queue: Mapped[bool] = mapped_column(Boolean)
    joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    position: Mapped[int | None] = mapped_column(BigInteger)
    shuffle_rank: Mapped[int | None] = mapped_column(Integer)
    admitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    left_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index(
            "queue_entry_line",
            "event_id",
            "position",
            postgresql_where=text("admitted_at IS NULL AND left_at IS NULL"),
        ),
        Index("queue_entry_pseudonym", "event_id", "pseudonym", unique=True),
    )


class QueuePassRow(Base):
    """A pass admission issued: taken by one hold (hold_id), or sent back to the line (requeued_at)."""

    __tablename__ = "queue_pass"

    pass_id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("waiting_room.event_id"))
    subject: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    hold_id: Mapped[uuid.UUID | None] = mapped_column(UUID)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    requeued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("queue_pass_holder", "event_id", "subject", text("issued_at DESC")),
        Index(
            "queue_pass_unused",
            "expires_at",
            postgresql_where=text("hold_id IS NULL AND requeued_at IS NULL"),
        ),
        Index("queue_pass_used", "event_id", postgresql_where=text("hold_id IS NOT NULL")),
    )
