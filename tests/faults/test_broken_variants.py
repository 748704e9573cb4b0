"""Each hold checker against the real adapters (it must find nothing) and against a deliberately broken
variant of them (it must find the violation), on PostgreSQL, through the real composition root with
real concurrency. A checker that passes both is proof that a zero in a fault run means something."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import secrets
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from apextick_platform.errors import DomainError
from apextick_platform.settings import sqlalchemy_url
from booking import bootstrap
from booking.adapters import pg_claims
from booking.adapters.outbox import write_outbox
from booking.adapters.pg_claims import PgSeatClaims, end_hold
from booking.bootstrap import Container
from booking.domain.events import SeatsHeld
from booking.domain.hold import ClaimRequest, EndedHold, Hold, HoldStatus, price_claim
from booking.domain.payment import Provider
from booking.settings import BookingSettings, OrderSettings
from tests.fakes.world import Clock, FakeGateway
from tests.faults import checkers
from tests.faults.stack import ROOT
from tests.use_case_support import customer, organizer, published_event, seat

pytestmark = pytest.mark.integration

REPORT: dict[str, dict[str, int]] = {}
GATEWAYS: dict[int, FakeGateway] = {}  # the recording provider behind each stack


INSERT_HOLD = """
INSERT INTO hold (id, event_id, customer, request_id, seat_ids, tier_ids, prices_minor, currency_code,
                  status, expires_at, created_at)
VALUES (%(hold)s, %(event)s, %(customer)s, %(request_id)s, %(seats)s, %(tiers)s, %(prices)s, %(currency)s,
        'ACTIVE', %(expires)s, %(now)s)
"""


class SelectThenUpdateClaims(PgSeatClaims):
    """BROKEN: reads the seats without a lock, then updates them unconditionally (and, lacking a live
    seat row, is not stopped by the partial unique index either) — the classic check-then-act race."""

    async def _claim_in(
        self, conn: AsyncConnection[Any], request: ClaimRequest, params: dict[str, Any]
    ) -> Hold:
        async with conn.transaction():
            rows = await (
                await conn.execute(
                    "SELECT seat_id, tier_id, status FROM event_seat WHERE event_id = %(event)s "
                    "AND seat_id = ANY(%(seats)s)",
                    params,
                )
            ).fetchall()
            if len(rows) < len(request.seat_ids) or any(status != "AVAILABLE" for _, _, status in rows):
                raise pg_claims._Rollback
            await asyncio.sleep(0.02)  # the window in which a rival reads the same "AVAILABLE"
            await conn.execute(
                "UPDATE event_seat SET status = 'HELD', hold_id = %(hold)s, holder = %(customer)s, "
                "hold_expires_at = %(expires)s WHERE event_id = %(event)s AND seat_id = ANY(%(seats)s)",
                params,
            )
            seats = price_claim(request, {seat_id: tier for seat_id, tier, _ in rows})
            params.update(
                tiers=[s.tier_id for s in seats], prices=[s.price_minor for s in seats],
                currency=request.terms.currency_code,
            )  # fmt: skip
            await conn.execute(INSERT_HOLD, params)
            event = SeatsHeld(
                request.hold_id, request.event_id, request.customer, request.seat_ids, request.expires_at
            )
            await write_outbox(conn, event, request.now, request.customer, request.request_id)
        return Hold(request.hold_id, request.event_id, request.customer, seats, request.terms.currency_code,
                    request.expires_at, HoldStatus.ACTIVE, request.now)  # fmt: skip


class UnconditionalRelease(PgSeatClaims):
    """BROKEN: a release frees the hold's seats by seat id alone, not only where this hold still has them."""

    async def release(self, hold_id: uuid.UUID, customer: str, request_id: str) -> EndedHold | None:
        ended = await super().release(hold_id, customer, request_id)
        if ended is not None:
            async with self._pool.connection() as conn:
                await conn.execute(
                    "UPDATE event_seat SET status = 'AVAILABLE', hold_id = NULL, holder = NULL "
                    "WHERE event_id = %s AND seat_id = ANY(%s)",
                    (ended.hold.event_id, list(ended.hold.seat_ids)),
                )
        return ended


class ExpireOnAnyEvent(PgSeatClaims):
    """BROKEN: trusts the expiry event and releases at once, whatever PostgreSQL's time says."""

    async def expire(self, hold_id: uuid.UUID) -> EndedHold | None:
        async with self._pool.connection() as conn, conn.transaction():
            return await end_hold(conn, self._clock(), hold_id, HoldStatus.EXPIRED, "true", "system", "")


class NoSweep(PgSeatClaims):
    """BROKEN: trusts Redis to report every expiry; the PostgreSQL sweep finds nothing."""

    async def expire_due(self, limit: int) -> list[EndedHold]:
        return []


Variant = Callable[[AsyncConnectionPool[AsyncConnection[Any]], Clock], PgSeatClaims]


@asynccontextmanager
async def stack(
    database_url: str, redis_url: str, variant: Variant = PgSeatClaims, **overrides: Any
) -> AsyncIterator[Container]:
    """The real composition root on PostgreSQL and Redis, with one adapter swapped for a variant
    (`overrides` name other ports, each built from the pool and the clock)."""
    clock = Clock(datetime.now(UTC).replace(microsecond=0))
    settings = BookingSettings(
        database_url=sqlalchemy_url(database_url), redis_url=redis_url, fast_reject=False, db_pool_size=12,
        orders=OrderSettings(ticket_signing_secret=secrets.token_hex(32), reconcile_grace_seconds=0),
    )  # fmt: skip
    gateway = FakeGateway()
    ports, infrastructure = bootstrap.adapters(settings, clock, gateways={Provider.STRIPE: gateway})
    built = {name: make(infrastructure.pool, clock) for name, make in overrides.items()}
    ports = dataclasses.replace(ports, claims=variant(infrastructure.pool, clock), **built)
    container = bootstrap.build(settings, clock=clock, ports=ports)
    GATEWAYS[id(container)] = gateway
    await infrastructure.open()
    try:
        yield container
    finally:
        await infrastructure.close()


async def everyone_claims_one_seat(container: Container, event_id: uuid.UUID, people: int) -> int:
    async def attempt(n: int) -> bool:
        try:
            await container.holds.hold_seats(customer(), event_id, [seat("A", 1)], f"r-{n}")
        except DomainError:
            return False
        return True

    return sum(await asyncio.gather(*(attempt(n) for n in range(people))))


def record(check: str, variant: str, figure: int) -> None:
    """Each checker's figure on the real code and on its broken variant, as measured: printed, and
    kept in var/reports/fault-variants.json (which CI prints at the end of the run)."""
    REPORT.setdefault(check, {})[variant] = figure
    print(f"checker {check}: {variant} = {figure}")  # noqa: T201 - the run's report
    reports = ROOT / "var" / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    (reports / "fault-variants.json").write_text(json.dumps(REPORT, indent=1))


@pytest.mark.parametrize(
    "variant", [PgSeatClaims, SelectThenUpdateClaims], ids=["real", "select-then-update"]
)
async def test_seats_held_twice_catches_a_check_then_act_claim(
    database_url: str, redis_url: str, variant: Variant
) -> None:
    async with stack(database_url, redis_url, variant) as container:
        sale = await published_event(container, organizer=organizer())
        winners = await everyone_claims_one_seat(container, sale.event_id, 12)
    twice = checkers.seats_held_twice(database_url, sale.event_id)
    record("seats_held_twice", variant.__name__, twice)
    if variant is PgSeatClaims:
        assert (winners, twice) == (1, 0)
    else:
        assert twice > 0, "the checker missed a seat held twice"


@pytest.mark.parametrize(
    "variant", [PgSeatClaims, UnconditionalRelease], ids=["real", "unconditional-release"]
)
async def test_partial_holds_catches_a_release_that_frees_another_holds_seat(
    database_url: str, redis_url: str, variant: Variant
) -> None:
    async with stack(database_url, redis_url, variant) as container:
        sale = await published_event(container, organizer=organizer())
        late, rival = customer(), customer()
        lapsed = await container.holds.hold_seats(late, sale.event_id, [seat("A", 1), seat("A", 2)], "r")
        container.clock.advance(timedelta(minutes=11))  # type: ignore[attr-defined]
        await container.holds.hold_seats(rival, sale.event_id, [seat("A", 1)], "r")
        await container.holds.release_hold(late, lapsed.id, "release")  # the late customer lets go
        partial = checkers.partial_holds(database_url, sale.event_id, container.clock())
    record("partial_holds", variant.__name__, partial)
    assert partial == 0 if variant is PgSeatClaims else partial > 0


@pytest.mark.parametrize("variant", [PgSeatClaims, ExpireOnAnyEvent], ids=["real", "expire-on-any-event"])
async def test_early_releases_catches_an_expiry_that_ignores_the_time(
    database_url: str, redis_url: str, variant: Variant
) -> None:
    async with stack(database_url, redis_url, variant) as container:
        sale = await published_event(container, organizer=organizer())
        hold = await container.holds.hold_seats(customer(), sale.event_id, [seat("A", 1)], "r")
        await container.holds.expire_hold(hold.id)  # an early (or duplicate) expiry event
    early = checkers.early_releases(database_url, sale.event_id)
    record("early_releases", variant.__name__, early)
    assert early == 0 if variant is PgSeatClaims else early > 0


@pytest.mark.parametrize("variant", [PgSeatClaims, NoSweep], ids=["real", "no-sweep"])
async def test_stuck_holds_catches_a_worker_that_trusts_redis(
    database_url: str, redis_url: str, variant: Variant
) -> None:
    async with stack(database_url, redis_url, variant) as container:
        sale = await published_event(container, organizer=organizer())
        for n in range(5):
            await container.holds.hold_seats(customer(), sale.event_id, [seat("B", n + 1)], "r")
        container.clock.advance(timedelta(minutes=12))  # type: ignore[attr-defined]
        # Redis lost the TTL keys (FLUSHALL, a restart): no expiry event comes; only the sweep is left.
        await container.holds.sweep()
        stuck = checkers.stuck_holds(database_url, sale.event_id, container.clock(), timedelta(minutes=1))
    record("stuck_holds", variant.__name__, stuck)
    assert stuck == 0 if variant is PgSeatClaims else stuck == 5


async def test_lost_acknowledged_holds_catches_a_hold_that_is_not_there(
    database_url: str, redis_url: str
) -> None:
    async with stack(database_url, redis_url) as container:
        sale = await published_event(container, organizer=organizer())
        hold = await container.holds.hold_seats(customer(), sale.event_id, [seat("A", 3)], "r")
    real = checkers.lost_acknowledged_holds(database_url, [checkers.Acknowledged(hold.id, hold.seat_ids)])
    # The broken variant: a server that acknowledged a hold it never committed.
    phantom = checkers.Acknowledged(uuid.uuid4(), (seat("A", 4),))
    broken = checkers.lost_acknowledged_holds(database_url, [phantom])
    record("lost_acknowledged_holds", "real", real)
    record("lost_acknowledged_holds", "acknowledged-but-not-committed", broken)
    assert (real, broken) == (0, 1)
