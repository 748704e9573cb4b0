"""The gate and audit tables as typed models (migrations 0005 and 0006). The gate and refund paths use
them in raw psycopg (pg_gates.py, pg_order_refunds.py, pg_audit.py); the schema test holds these
models and the migrations to each other."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, BYTEA, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from booking.adapters.orm import Base

OUTCOMES = "'ADMITTED', 'DUPLICATE', 'VOID', 'WRONG_EVENT', 'FORGED'"


class GateStationRow(Base):
    __tablename__ = "gate_station"

    id: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("event.id"))
    display_name: Mapped[str] = mapped_column(String(100))
    staff: Mapped[list[str]] = mapped_column(ARRAY(String(255)))
    created_by: Mapped[str] = mapped_column(String(255))
    request_id: Mapped[str] = mapped_column(String(36))
    fingerprint: Mapped[bytes] = mapped_column(BYTEA)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("created_by", "request_id", name="uq_gate_station_request"),
        Index("ix_gate_station_event", "event_id", "created_at", "id"),
    )


class GateScanRow(Base):
    """Every scan, keyed by the scanner's nonce so a retried scan is recorded once."""

    __tablename__ = "gate_scan"

    nonce: Mapped[uuid.UUID] = mapped_column(UUID, primary_key=True)
    gate_station_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("gate_station.id"))
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("event.id"))
    ticket_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("ticket.id"))
    scanner: Mapped[str] = mapped_column(String(255))
    outcome: Mapped[str] = mapped_column(String(12))
    first_gate: Mapped[str] = mapped_column(String(100), server_default="")
    first_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    scanned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    offline: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))

    __table_args__ = (
        CheckConstraint(f"outcome IN ({OUTCOMES})", name="outcome"),
        Index("ix_gate_scan_event", "event_id", "scanned_at"),
        Index("ix_gate_scan_ticket", "ticket_id"),
    )


class GateConflictRow(Base):
    __tablename__ = "gate_conflict"

    nonce: Mapped[uuid.UUID] = mapped_column(ForeignKey("gate_scan.nonce"), primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("event.id"))
    ticket_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ticket.id"))
    admitted_gate: Mapped[str] = mapped_column(String(100))
    admitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    conflicting_gate: Mapped[str] = mapped_column(String(100))
    conflicting_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_gate_conflict_event", "event_id", "conflicting_at"),)


class AuditLogRow(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    actor: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(120))
    request_id: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("actor", "action", "request_id", name="uq_audit_log_request"),
        Index("ix_audit_log_at", text("at DESC"), text("id DESC")),
    )
