"""The gate's checker (I6: one admission per ticket) against the real adapter and a check-then-admit
variant (Hi.Events' shape: read the ticket, then write the admission), on PostgreSQL, with gates racing
for the same tickets."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from booking.adapters.pg_gates import PgGates
from booking.bootstrap import Container
from booking.domain.gate import GateStation, ScanOutcome, ScanResult
from booking.domain.payment import Provider
from booking.service_layer.gate_ports import ScanAttempt, StationDraft
from booking.service_layer.order_use_cases import CheckoutCommand
from tests.fakes.world import Clock
from tests.faults import checkers
from tests.faults.test_broken_variants import record, stack
from tests.use_case_support import customer, organizer, published_event, seat

pytestmark = pytest.mark.integration
GATES = 4


class CheckThenAdmit(PgGates):
    """BROKEN: decides from the ticket it read and then admits without re-checking under the lock."""

    async def _decide(self, cur: Any, attempt: ScanAttempt, row: dict[str, Any] | None) -> ScanResult:
        if row is None or row["admitted_at"] is not None:
            return await super()._decide(cur, attempt, row)
        await asyncio.sleep(0.005)  # the app's own work between the read and the write
        await cur.execute(
            "UPDATE ticket SET admitted_at = %s, admitted_gate = %s WHERE id = %s",
            (attempt.at, str(attempt.station.id), row["id"]),
        )
        return ScanResult(ScanOutcome.ADMITTED, row["id"], str(attempt.station.id), attempt.at)


def gates(pool: AsyncConnectionPool[AsyncConnection[Any]], clock: Clock) -> PgGates:
    return CheckThenAdmit(pool)


async def sold_tickets(container: Container, seats: int) -> tuple[uuid.UUID, list[str]]:
    mine, buyer = organizer(), customer()
    sale = await published_event(container, organizer=mine, rows=1, per_row=seats, max_per_customer=seats)
    hold = await container.holds.hold_seats(
        buyer, sale.event_id, [seat("A", n + 1) for n in range(seats)], "h"
    )
    order = await container.orders.checkout(
        buyer, CheckoutCommand(hold.id, Provider.STRIPE, "", "", str(uuid.uuid4()))
    )
    body = {"event_id": uuid.uuid4().hex, "kind": "PAID", "order_id": str(order.id), "payment_ref": "pi_1",
            "amount_minor": order.total_minor, "currency_code": order.currency_code}  # fmt: skip
    await container.payments.receive(Provider.STRIPE, json.dumps(body).encode(), {})
    page = await container.orders.my_tickets(buyer, order.id, seats, "")
    return sale.event_id, [t.code for t in page.items]


async def stations(container: Container, event_id: uuid.UUID) -> list[GateStation]:
    made = []
    for n in range(GATES):
        draft = StationDraft(uuid.uuid4(), event_id, f"Gate {n}", frozenset({"gate"}), "o",
                             uuid.uuid4().hex, b"", container.clock())  # fmt: skip
        made.append(await container.ports.gates.create_station(draft))
    return made


@pytest.mark.parametrize("broken", [False, True], ids=["real", "check-then-admit"])
async def test_double_admissions_catches_a_check_then_admit_gate(
    database_url: str, redis_url: str, broken: bool
) -> None:
    overrides: dict[str, Any] = {"gates": gates} if broken else {}
    async with stack(database_url, redis_url, **overrides) as container:
        event_id, codes = await sold_tickets(container, 10)
        points = await stations(container, event_id)
        reader, store = container.ports.codes, container.ports.gates
        attempts = [
            ScanAttempt(uuid.uuid4(), station, "gate", reader.read(code), container.clock())
            for code in codes
            for station in points
        ]
        await asyncio.gather(*(store.scan(attempt) for attempt in attempts))
    twice = checkers.double_admissions(database_url, event_id)
    record("double_admissions", "CheckThenAdmit" if broken else "real", twice)
    assert (twice > 0) if broken else (twice == 0)
