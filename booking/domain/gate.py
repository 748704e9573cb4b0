"""Gate admission rules (I6: each ticket is admitted at most once; a duplicate scan is told when and
where the first one was). Pure: the adapter's one conditional UPDATE decides who wins a race between
gates; these functions decide everything around it, from what the adapter read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from apextick_platform.errors import DomainError, ErrorCode


class ScanOutcome(StrEnum):
    ADMITTED = "ADMITTED"
    DUPLICATE = "DUPLICATE"  # admitted before: the first scan's gate and time come with it
    VOID = "VOID"  # void, refunded, or of a cancelled event
    WRONG_EVENT = "WRONG_EVENT"  # a genuine ticket of another event than the station's
    FORGED = "FORGED"  # the signature does not verify


@dataclass(frozen=True)
class GateStation:
    """A scanning point bound to one event; only its staff may scan there."""

    id: UUID
    event_id: UUID
    display_name: str
    staff: frozenset[str]  # token subjects
    created_at: datetime


@dataclass(frozen=True)
class TicketAtGate:
    """What the gate needs of a ticket, read with it."""

    ticket_id: UUID
    event_id: UUID
    valid: bool  # not void (a refund voids its tickets)
    event_cancelled: bool
    admitted_at: datetime | None
    admitted_gate: str


@dataclass(frozen=True)
class ScanResult:
    outcome: ScanOutcome
    ticket_id: UUID | None
    first_gate: str = ""  # set for DUPLICATE (and for ADMITTED: this gate)
    first_at: datetime | None = None


def check_scanner(station: GateStation, subject: str, *, is_admin: bool = False) -> None:
    """Gate staff scan at their own stations only (admins, as support, anywhere); to anyone else a
    station does not exist."""
    if subject not in station.staff and not is_admin:
        raise DomainError(ErrorCode.GATE_NOT_FOUND, f"gate station {station.id} not found")


def before_admission(
    station: GateStation, code_event: UUID, ticket: TicketAtGate | None
) -> ScanResult | None:
    """The outcome when no admission is due, or None: then the conditional update decides."""
    if code_event != station.event_id:
        return ScanResult(ScanOutcome.WRONG_EVENT, ticket.ticket_id if ticket else None)
    if ticket is None or ticket.event_id != code_event:
        # A genuine signature over a ticket we never issued: only a leaked key makes one.
        return ScanResult(ScanOutcome.FORGED, None)
    if not ticket.valid or ticket.event_cancelled:
        return ScanResult(ScanOutcome.VOID, ticket.ticket_id)
    if ticket.admitted_at is not None:
        return duplicate(ticket)
    return None


def duplicate(ticket: TicketAtGate) -> ScanResult:
    return ScanResult(ScanOutcome.DUPLICATE, ticket.ticket_id, ticket.admitted_gate, ticket.admitted_at)


def after_lost_race(ticket: TicketAtGate) -> ScanResult:
    """The update admitted nothing: another gate won the same instant, or the ticket was voided."""
    if ticket.admitted_at is not None:
        return duplicate(ticket)
    return ScanResult(ScanOutcome.VOID, ticket.ticket_id)


def replayed(previous_ticket: UUID | None, ticket: UUID | None, previous: ScanResult) -> ScanResult:
    """A scan nonce seen before: the same scan retried gets its first answer, never a DUPLICATE; the
    nonce on another ticket is a client bug, refused without a write."""
    if previous_ticket != ticket:
        raise DomainError(ErrorCode.SCAN_NONCE_REUSED, "this scan nonce was used for another ticket")
    return previous


def seat_shown(result: ScanResult, seat_id: str) -> str:
    """Staff see the seat of their own event's tickets only: never of another event's or a forgery."""
    return "" if result.outcome in (ScanOutcome.WRONG_EVENT, ScanOutcome.FORGED) else seat_id


def is_conflict(device_admitted: bool, result: ScanResult) -> bool:  # noqa: FBT001 - a plain fact
    """An offline gate let someone in on a ticket another gate had admitted first: two people walked in
    on one ticket. It cannot be undone, so it is recorded for the organizer."""
    return device_admitted and result.outcome is ScanOutcome.DUPLICATE
