"""Tickets: one per seat of a paid order, carrying a signed code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID


class TicketStatus(StrEnum):
    VALID = "VALID"
    VOID = "VOID"


@dataclass(frozen=True)
class Ticket:
    id: UUID
    order_id: UUID
    event_id: UUID
    seat_id: str
    tier_id: str
    customer: str
    code: str
    status: TicketStatus
    issued_at: datetime
