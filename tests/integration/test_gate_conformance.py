"""The gate's port, against the in-memory fake and PostgreSQL alike: stations made once per request,
and every scan outcome, replay and refusal, as the port promises them."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from apextick_platform.errors import ErrorCode
from booking.domain.gate import GateStation, ScanOutcome
from booking.domain.payment import NoticeKind, PaymentNotice, Provider
from booking.domain.ticket import Ticket
from booking.service_layer.gate_ports import CodeReading, ScanAttempt, ScanRecord, StationDraft
from tests.integration.port_twins import Twin
from tests.integration.test_port_conformance import code_of, paid, pending_order, twin
from tests.use_case_support import ORGANIZER, customer, key

pytestmark = pytest.mark.integration
__all__ = ["twin"]  # the fixture, shared with the other port contracts


def draft(
    twin: Twin, event_id: uuid.UUID, name: str = "North", request_id: str = "", fingerprint: bytes = b"a"
) -> StationDraft:
    return StationDraft(uuid.uuid4(), event_id, name, frozenset({"gate-1"}), ORGANIZER.subject,
                        request_id or uuid.uuid4().hex, fingerprint, twin.clock())  # fmt: skip


async def paid_tickets(twin: Twin) -> list[Ticket]:
    buyer = customer()
    order = await pending_order(twin, buyer)
    await twin.ports.ledger.apply(paid(order, uuid.uuid4().hex))
    return list(await twin.ports.tickets.tickets_for(buyer.subject, order.id, None, 10))


async def scan(
    twin: Twin, station: GateStation, ticket: Ticket, nonce: uuid.UUID | None = None
) -> ScanRecord:
    reading = twin.ports.codes.read(ticket.code)
    attempt = ScanAttempt(nonce or uuid.uuid4(), station, "gate-1", reading, twin.clock())
    return await twin.ports.gates.scan(attempt)


async def test_stations_are_made_once_per_request_and_listed_by_event(twin: Twin) -> None:
    first, second = await paid_tickets(twin)
    gates, event_id = twin.ports.gates, first.event_id
    assert await gates.event_owner(event_id) == ORGANIZER.subject
    assert await gates.event_owner(uuid.uuid4()) is None
    request_id = uuid.uuid4().hex
    made = await gates.create_station(draft(twin, event_id, request_id=request_id))
    again = await gates.create_station(draft(twin, event_id, request_id=request_id))
    assert again == made
    assert await code_of(
        gates.create_station(draft(twin, event_id, request_id=request_id, fingerprint=b"b"))
    ) is (ErrorCode.REQUEST_ID_REUSED)
    twin.clock.advance(timedelta(seconds=1))
    other = await gates.create_station(draft(twin, event_id, "South"))
    assert [s.id for s in await gates.stations(event_id)] == [made.id, other.id]
    assert await gates.station(made.id) == made
    assert await gates.station(uuid.uuid4()) is None
    assert second.event_id == event_id


async def test_the_first_scan_admits_and_every_other_answer_follows(twin: Twin) -> None:
    ticket, spare = await paid_tickets(twin)
    north = await twin.ports.gates.create_station(draft(twin, ticket.event_id, "North"))
    south = await twin.ports.gates.create_station(draft(twin, ticket.event_id, "South"))
    nonce = uuid.uuid4()
    admitted = await scan(twin, north, ticket, nonce)
    assert (admitted.result.outcome, admitted.result.first_gate, admitted.seat_id) == (
        ScanOutcome.ADMITTED, str(north.id), ticket.seat_id,
    )  # fmt: skip
    first_at = admitted.result.first_at
    twin.clock.advance(timedelta(seconds=5))
    assert await scan(twin, north, ticket, nonce) == admitted  # the same scan retried: its first answer
    duplicate = await scan(twin, south, ticket)
    assert (duplicate.result.outcome, duplicate.result.first_gate, duplicate.result.first_at) == (
        ScanOutcome.DUPLICATE, str(north.id), first_at,
    )  # fmt: skip
    assert await code_of(scan(twin, north, spare, nonce)) is ErrorCode.SCAN_NONCE_REUSED
    assert (await scan(twin, south, spare)).result.outcome is ScanOutcome.ADMITTED  # nothing was written


async def test_forged_other_event_void_and_cancelled_tickets_are_refused(twin: Twin) -> None:
    ticket, _ = await paid_tickets(twin)
    elsewhere, _ = await paid_tickets(twin)
    station = await twin.ports.gates.create_station(draft(twin, ticket.event_id))
    forged_nonce = uuid.uuid4()
    forged = ScanAttempt(forged_nonce, station, "gate-1", CodeReading(genuine=False), twin.clock())
    record = await twin.ports.gates.scan(forged)
    assert (record.result.outcome, record.result.ticket_id, record.seat_id) == (ScanOutcome.FORGED, None, "")
    assert await twin.ports.gates.scan(forged) == record
    wrong = await scan(twin, station, elsewhere)
    assert (wrong.result.outcome, wrong.seat_id) == (ScanOutcome.WRONG_EVENT, "")
    refunded = PaymentNotice(Provider.STRIPE, uuid.uuid4().hex, NoticeKind.REFUNDED, ticket.order_id)
    await twin.ports.ledger.apply(refunded)
    assert (await scan(twin, station, ticket)).result.outcome is ScanOutcome.VOID
    other_station = await twin.ports.gates.create_station(draft(twin, elsewhere.event_id))
    await twin.container.events.cancel_event(ORGANIZER, elsewhere.event_id, "storm", key())
    assert (await scan(twin, other_station, elsewhere)).result.outcome is ScanOutcome.VOID


async def test_offline_scans_admit_at_their_time_and_a_second_admission_is_one_conflict(twin: Twin) -> None:
    ticket, _ = await paid_tickets(twin)
    north = await twin.ports.gates.create_station(draft(twin, ticket.event_id, "North"))
    south = await twin.ports.gates.create_station(draft(twin, ticket.event_id, "South"))
    empty = await twin.ports.gates.bundle(ticket.event_id)
    assert {(t.ticket_id, t.valid, t.admitted) for t in empty.tickets} >= {(ticket.id, True, False)}
    reading, at = twin.ports.codes.read(ticket.code), twin.clock() - timedelta(minutes=5)

    def offline(station: GateStation, nonce: uuid.UUID) -> ScanAttempt:
        return ScanAttempt(nonce, station, "gate-1", reading, at, offline=True, device_admitted=True)

    first = await twin.ports.gates.scan(offline(north, uuid.uuid4()))
    assert (first.result.outcome, first.result.first_at, first.conflict) == (ScanOutcome.ADMITTED, at, False)
    second_nonce = uuid.uuid4()
    second = await twin.ports.gates.scan(offline(south, second_nonce))
    assert (second.result.outcome, second.conflict) == (ScanOutcome.DUPLICATE, True)
    assert (await twin.ports.gates.scan(offline(south, second_nonce))).conflict  # a retried upload
    [conflict] = await twin.ports.gates.conflicts(ticket.event_id, 10)
    assert (conflict.ticket_id, conflict.admitted_gate, conflict.conflicting_gate) == (
        ticket.id,
        north.id,
        south.id,
    )
    bundle = await twin.ports.gates.bundle(ticket.event_id)
    assert bundle.version > empty.version
    assert ticket.id in {t.ticket_id for t in bundle.tickets if t.admitted}
