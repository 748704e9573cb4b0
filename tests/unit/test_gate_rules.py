"""The gate's rules around the one conditional update: which scans never try to admit, what a lost
race answers, and what a retried scan nonce gets."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from apextick_platform.errors import DomainError, ErrorCode
from booking.domain.gate import (
    GateStation,
    ScanOutcome,
    ScanResult,
    TicketAtGate,
    after_lost_race,
    before_admission,
    check_scanner,
    replayed,
)

NOW = datetime(2027, 3, 1, 19, 0, tzinfo=UTC)
EVENT = uuid.uuid4()
STATION = GateStation(uuid.uuid4(), EVENT, "North gate", frozenset({"gate-1"}), NOW)
TICKET = TicketAtGate(uuid.uuid4(), EVENT, valid=True, event_cancelled=False, admitted_at=None,
                      admitted_gate="")  # fmt: skip


def test_a_fresh_valid_ticket_of_the_station_s_event_goes_to_the_update() -> None:
    assert before_admission(STATION, EVENT, TICKET) is None


@pytest.mark.parametrize(
    ("code_event", "ticket", "outcome"),
    [
        (uuid.uuid4(), TICKET, ScanOutcome.WRONG_EVENT),
        (EVENT, None, ScanOutcome.FORGED),
        (EVENT, replace(TICKET, valid=False), ScanOutcome.VOID),
        (EVENT, replace(TICKET, event_cancelled=True), ScanOutcome.VOID),
        (EVENT, replace(TICKET, admitted_at=NOW, admitted_gate="events/e/gates/g"), ScanOutcome.DUPLICATE),
    ],
    ids=["other event", "never issued", "void", "event cancelled", "admitted before"],
)
def test_scans_that_never_admit(
    code_event: uuid.UUID, ticket: TicketAtGate | None, outcome: ScanOutcome
) -> None:
    result = before_admission(STATION, code_event, ticket)
    assert result is not None
    assert result.outcome is outcome


def test_a_duplicate_names_the_first_gate_and_time() -> None:
    first = replace(TICKET, admitted_at=NOW, admitted_gate="events/e/gates/north")
    result = before_admission(STATION, EVENT, first)
    assert result == ScanResult(ScanOutcome.DUPLICATE, TICKET.ticket_id, "events/e/gates/north", NOW)


def test_a_lost_race_is_the_winner_s_duplicate_or_a_void() -> None:
    won_elsewhere = replace(TICKET, admitted_at=NOW, admitted_gate="events/e/gates/south")
    assert after_lost_race(won_elsewhere).first_gate == "events/e/gates/south"
    assert after_lost_race(replace(TICKET, valid=False)).outcome is ScanOutcome.VOID


def test_a_retried_nonce_gets_its_first_answer_and_another_ticket_is_refused() -> None:
    first = ScanResult(ScanOutcome.ADMITTED, TICKET.ticket_id, "events/e/gates/north", NOW)
    assert replayed(TICKET.ticket_id, TICKET.ticket_id, first) is first
    with pytest.raises(DomainError) as refused:
        replayed(TICKET.ticket_id, uuid.uuid4(), first)
    assert refused.value.code is ErrorCode.SCAN_NONCE_REUSED


def test_only_the_station_s_staff_scan_there() -> None:
    check_scanner(STATION, "gate-1")
    with pytest.raises(DomainError) as refused:
        check_scanner(STATION, "gate-2")
    check_scanner(STATION, "support", is_admin=True)
    assert refused.value.code is ErrorCode.GATE_NOT_FOUND
