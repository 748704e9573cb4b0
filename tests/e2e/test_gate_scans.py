"""Admission at the gate through the real booking server: a sold-out house scanned at every gate at
once admits each ticket exactly once (I6), every duplicate names the first scan, a retried scan gets its
first answer, and every refusal is an answer or a clear status that writes nothing."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import grpc
import psycopg
import pytest
from apextick.gates.v1 import gate_service_pb2 as gsv
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from booking.adapters import compact_codes
from booking.adapters.ticket_codes import TicketSigner, load_private_key, verify
from tests.e2e.checkout_support import send_stripe
from tests.e2e.conftest import Identity
from tests.e2e.gate_support import Stack, open_stations, scan, sell_out
from tests.e2e.payment_support import TICKET_SECRET, stripe_event, stripe_signature
from tests.e2e.support import rich_error, rid

if TYPE_CHECKING:
    from tests.e2e.checkout_support import Inventory, Orders, Webhooks
    from tests.e2e.conftest import Catalog, Tickets
    from tests.e2e.gate_support import Gates

pytestmark = pytest.mark.e2e
IN_FLIGHT = 100  # the scans waiting on the booking server at once; each ticket's scans stay adjacent


@pytest.fixture
def stack(
    catalog: Catalog,
    inventory: Inventory,
    orders: Orders,
    webhooks: Webhooks,
    tickets: Tickets,
    gates: Gates,
    database_url: str,
) -> Iterator[Stack]:
    """The stubs; afterwards, the domain events a sold-out house wrote are marked published. Nothing
    later waits for them, and a later test's relay and consumer would otherwise render a thousand
    tickets before reaching the one email that test waits for."""
    yield Stack(catalog, inventory, orders, webhooks, tickets, gates)
    with psycopg.connect(database_url) as conn:
        conn.execute("UPDATE outbox SET published_at = now() WHERE published_at IS NULL")


def admissions_per_ticket(database_url: str, event: str) -> Counter[str]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT ticket_id::text FROM gate_scan WHERE event_id = %s AND outcome = 'ADMITTED'",
            (event.removeprefix("events/"),),
        ).fetchall()
    return Counter(row[0] for row in rows)


@pytest.mark.parametrize("gate_count", [2, 10])
async def test_a_sold_out_house_scanned_at_every_gate_at_once_admits_each_ticket_once(
    stack: Stack, identity: Identity, database_url: str, gate_count: int
) -> None:
    sold = await sell_out(stack, identity, f"Gates x{gate_count}", rows=25, per_row=40)
    stations = await open_stations(stack.gates, sold, identity, gate_count)
    # Every ticket at every gate, each gate in its own random order: the same ticket races itself.
    plan = [
        (t, s, a, str(uuid.uuid4())) for t in sold.tickets for s, a in random.sample(stations, gate_count)
    ]
    release, limit = asyncio.Event(), asyncio.Semaphore(IN_FLIGHT)

    async def one(
        code: str, station: str, auth: tuple[tuple[str, str], ...], nonce: str
    ) -> gsv.ScanTicketResponse:
        await release.wait()
        async with limit:
            return await scan(stack.gates, station, auth, code, nonce)

    runs = [asyncio.create_task(one(t.code, s.name, a, n)) for t, s, a, n in plan]
    release.set()
    answers = await asyncio.gather(*runs)
    by_ticket: dict[str, list[gsv.ScanTicketResponse]] = {}
    for answer in answers:
        by_ticket.setdefault(answer.ticket, []).append(answer)
    assert set(by_ticket) == {t.name for t in sold.tickets}
    outcomes = Counter(a.outcome for a in answers)
    assert outcomes == {
        gsv.SCAN_OUTCOME_ADMITTED: len(sold.tickets),
        gsv.SCAN_OUTCOME_DUPLICATE: len(sold.tickets) * (gate_count - 1),
    }
    for scans in by_ticket.values():
        [first] = [a for a in scans if a.outcome == gsv.SCAN_OUTCOME_ADMITTED]
        for duplicate in scans:
            assert (duplicate.first_gate, duplicate.first_admit_time) == (
                first.first_gate,
                first.first_admit_time,
            )
    per_ticket = admissions_per_ticket(database_url, sold.built.event.name)
    assert len(per_ticket) == len(sold.tickets)
    assert max(per_ticket.values()) == 1  # double admissions: 0
    # The same physical scans retried (a gate that lost its connection): each gets its first answer.
    retried = random.sample(range(len(plan)), 50)
    again = await asyncio.gather(
        *(scan(stack.gates, plan[i][1].name, plan[i][2], plan[i][0].code, plan[i][3]) for i in retried)
    )
    assert [a.outcome for a in again] == [answers[i].outcome for i in retried]
    assert [a.scan_time for a in again] == [answers[i].scan_time for i in retried]
    assert admissions_per_ticket(database_url, sold.built.event.name) == per_ticket


def forged(code: str, seat_id: str) -> str:
    """The code with its seat changed and the original signature kept: an edited ticket."""
    claims = compact_codes.decode(code)
    unsigned = compact_codes.body(claims.key_prefix, claims.ticket_id, claims.event_id, seat_id)
    return compact_codes.encode(unsigned, claims.signature)


def made_up(code: str) -> str:
    """A code for a real ticket signed by someone else's key under our key's id."""
    claims = verify(code, {KEY.key_id: KEY.public_key})
    other = TicketSigner(Ed25519PrivateKey.generate())
    other.key_id = KEY.key_id
    return other.sign(claims.ticket_id, claims.event_id, claims.seat_id, datetime.now(UTC))


KEY = TicketSigner(load_private_key(TICKET_SECRET))


async def test_forged_edited_void_and_other_event_codes_are_refused(
    stack: Stack, identity: Identity, database_url: str
) -> None:
    sold = await sell_out(stack, identity, "Gate refusals", rows=2, per_row=20)  # two orders
    elsewhere = await sell_out(stack, identity, "Another night", rows=1, per_row=1)
    [(station, auth)] = await open_stations(stack.gates, sold, identity, 1)
    first, second, third = sold.tickets[0], sold.tickets[1], sold.tickets[-1]  # third: the other order
    assert (await scan(stack.gates, station.name, auth, forged(first.code, second.seat_id))).outcome == (
        gsv.SCAN_OUTCOME_FORGED
    )
    made = await scan(stack.gates, station.name, auth, made_up(first.code))
    assert (made.outcome, made.ticket, made.seat_id) == (gsv.SCAN_OUTCOME_FORGED, "", "")
    other = await scan(stack.gates, station.name, auth, elsewhere.tickets[0].code)
    assert (other.outcome, other.seat_id) == (gsv.SCAN_OUTCOME_WRONG_EVENT, "")
    order = uuid.UUID(second.order.removeprefix("orders/"))
    with psycopg.connect(database_url) as conn:
        paid = conn.execute(
            "SELECT payment_ref, captured_minor FROM payment WHERE order_id = %s", (order,)
        ).fetchone()
    assert paid is not None
    charge = {"id": "ch_1", "object": "charge", "metadata": {"order_id": str(order)}, "refunded": True,
              "payment_intent": paid[0], "amount_refunded": paid[1], "currency": "lkr"}  # fmt: skip
    body = stripe_event("charge.refunded", charge)
    await send_stripe(stack.webhooks, body, stripe_signature(body))
    assert (await scan(stack.gates, station.name, auth, second.code)).outcome == gsv.SCAN_OUTCOME_VOID
    assert admissions_per_ticket(database_url, sold.built.event.name) == Counter()  # no one got in
    admitted = await scan(stack.gates, station.name, auth, third.code)
    assert admitted.outcome == gsv.SCAN_OUTCOME_ADMITTED  # the refusals blocked nothing genuine


async def test_bad_scans_are_clear_statuses_that_write_nothing(
    stack: Stack, identity: Identity, database_url: str
) -> None:
    sold = await sell_out(stack, identity, "Gate errors", rows=1, per_row=3)
    elsewhere = await sell_out(stack, identity, "Other gates", rows=1, per_row=1)
    [(station, auth)] = await open_stations(stack.gates, sold, identity, 1)
    [(foreign, _)] = await open_stations(stack.gates, elsewhere, identity, 1)
    code = sold.tickets[0].code
    unknown_key = TicketSigner(load_private_key(uuid.uuid4().hex)).sign(
        sold.tickets[0].name.removeprefix("tickets/"), sold.built.event.name.removeprefix("events/"), "x",
        datetime.now(UTC),
    )  # fmt: skip
    cases = {
        "TICKET_CODE_MALFORMED": (station.name, auth, "hello"),
        "TICKET_CODE_MALFORMED ": (station.name, auth, code[:-12]),  # truncated
        "TICKET_CODE_KEY_UNKNOWN": (station.name, auth, unknown_key),
        "GATE_NOT_FOUND": (
            foreign.name.replace(elsewhere.built.event.name, sold.built.event.name),
            auth,
            code,
        ),
        "GATE_NOT_FOUND ": (foreign.name, auth, code),  # a station of another event: not this gate's
        "ROLE_REQUIRED": (station.name, identity.auth("customer"), code),
    }
    for reason, (name, who, text) in cases.items():
        error = await rich_error(scan(stack.gates, name, who, text))
        assert error.reason == reason.strip(), (reason, error)
    nonce = str(uuid.uuid4())
    await scan(stack.gates, station.name, auth, code, nonce)
    reused = await rich_error(scan(stack.gates, station.name, auth, sold.tickets[1].code, nonce))
    assert (reused.code, reused.reason) == (grpc.StatusCode.FAILED_PRECONDITION, "SCAN_NONCE_REUSED")
    assert sum(admissions_per_ticket(database_url, sold.built.event.name).values()) == 1
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM gate_scan WHERE gate_station_id = %s", (station.name.split("/")[-1],)
        ).fetchone()
    assert row is not None
    assert row[0] == 1  # only the one good scan was recorded


async def test_organizers_see_only_their_own_stations(stack: Stack, identity: Identity) -> None:
    sold = await sell_out(stack, identity, "Own gates", rows=1, per_row=1)
    await open_stations(stack.gates, sold, identity, 2)
    listed = await stack.gates.ListGateStations(
        gsv.ListGateStationsRequest(parent=sold.built.event.name), metadata=sold.organizer
    )
    assert [s.display_name for s in listed.gate_stations] == ["Gate 1", "Gate 2"]
    rival = identity.auth("organizer")
    request = gsv.ListGateStationsRequest(parent=sold.built.event.name)
    assert (
        await rich_error(stack.gates.ListGateStations(request, metadata=rival))
    ).reason == "EVENT_NOT_FOUND"
    mine_now = gsv.GateStation(display_name="Mine now", staff=["x"])
    create = gsv.CreateGateStationRequest(
        parent=sold.built.event.name, request_id=rid(), gate_station=mine_now
    )
    assert (
        await rich_error(stack.gates.CreateGateStation(create, metadata=rival))
    ).reason == "EVENT_NOT_FOUND"
    gate = identity.auth("gate")
    assert (await rich_error(stack.gates.ListGateStations(request, metadata=gate))).reason == "ROLE_REQUIRED"
