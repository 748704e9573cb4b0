"""The seat claim and the hold lifecycle in raw psycopg 3: the hot path skips the ORM (it costs about
twice as much per claim here) but keeps every guarantee in PostgreSQL.

Every transaction runs at READ COMMITTED. A conditional UPDATE re-checks its WHERE clause on the newest
row version after waiting for a competing writer, so exactly one of any number of concurrent claimers
of a seat changes the row; the others change nothing, and the row count tells them so."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from apextick_platform.errors import DomainError, ErrorCode
from booking.adapters.event_codec import outbox_row
from booking.adapters.outbox import write_outbox
from booking.domain.events import HoldExpired, HoldReleased, SeatsHeld
from booking.domain.hold import (
    ClaimRequest,
    EndedHold,
    HeldSeat,
    Hold,
    HoldStatus,
    SaleTerms,
    check_customer_limit,
    price_claim,
    seats_not_found,
    seats_unavailable,
)
from booking.service_layer.ports import Clock

# The whole winner's claim in one round trip: migration 0008's claim_seats locks the seats in seat-id
# order, counts the claimable ones under the locks, locks the customer's row and checks the limit, then
# writes seats, lapsed holds' live seats, the hold, its live seats and the outbox row. No rows back:
# nothing was claimable and nothing was written. AT001 (the limit) and AT002 (a twin request committed
# first) roll the statement back.
CLAIM = """
SELECT seat_id, tier_id FROM claim_seats(
    %(event)s, %(seats)s, %(hold)s, %(customer)s, %(request_id)s, %(now)s, %(expires)s, %(limit)s,
    %(tier_ids)s, %(tier_prices)s, %(currency)s, %(outbox_id)s, %(outbox_aggregate)s,
    %(outbox_aggregate_id)s, %(outbox_type)s, %(outbox_routing_key)s, %(outbox_payload)s, %(pass)s)
"""
LIMIT_REACHED, TWIN_COMMITTED, ADMISSION_USED = "AT001", "AT002", "AT003"

# Why a claim failed: an earlier hold with this request id (a retry), or which seats exist at all.
DIAGNOSE = """
SELECT (SELECT id FROM hold WHERE customer = %(customer)s AND request_id = %(request_id)s) AS replay,
       ARRAY(SELECT seat_id FROM event_seat WHERE event_id = %(event)s AND seat_id = ANY(%(seats)s)) AS found
"""

HOLD_COLUMNS = (
    "id, event_id, customer, seat_ids, tier_ids, prices_minor, currency_code, status, expires_at, created_at"
)

END_HOLD = f"""
UPDATE hold SET status = %(status)s, ended_at = %(now)s
WHERE id = %(hold)s AND status = 'ACTIVE' AND {{condition}}
RETURNING {HOLD_COLUMNS}
"""  # noqa: S608 - built from constants only; {condition} is filled from constants too

# Conditional on the hold id and HELD: a late release can never free a seat that was re-held or sold.
FREE_SEATS = """
UPDATE event_seat
SET status = 'AVAILABLE', hold_id = NULL, holder = NULL, hold_expires_at = NULL, version = version + 1
WHERE event_id = %(event)s AND seat_id = ANY(%(seats)s) AND hold_id = %(hold)s AND status = 'HELD'
RETURNING seat_id
"""

GET_HOLD = f"SELECT {HOLD_COLUMNS} FROM hold WHERE id = %s"  # noqa: S608 - built from constants only

LAPSED = "expires_at <= %(now)s"  # the END_HOLD condition of an expiry: PostgreSQL's time decides

EVENT_HOLDS = "SELECT id FROM hold WHERE event_id = %s AND status = 'ACTIVE' ORDER BY id"

DUE_HOLDS = """
SELECT id FROM hold WHERE status = 'ACTIVE' AND expires_at <= %(now)s
ORDER BY expires_at LIMIT %(limit)s
FOR UPDATE SKIP LOCKED
"""


def hold_from_row(row: dict[str, Any]) -> Hold:
    seats = tuple(
        HeldSeat(seat, tier, price)
        for seat, tier, price in zip(row["seat_ids"], row["tier_ids"], row["prices_minor"], strict=True)
    )
    return Hold(
        id=row["id"],
        event_id=row["event_id"],
        customer=row["customer"],
        seats=seats,
        currency_code=row["currency_code"],
        expires_at=row["expires_at"],
        status=HoldStatus(row["status"]),
        created_at=row["created_at"],
    )


async def _fetch_hold(conn: AsyncConnection[Any], hold_id: UUID) -> Hold | None:
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(GET_HOLD, (hold_id,))
    row = await cur.fetchone()
    return hold_from_row(row) if row else None


class PgSeatClaims:
    def __init__(self, pool: AsyncConnectionPool[AsyncConnection[Any]], clock: Clock) -> None:
        self._pool = pool
        self._clock = clock

    async def sale_terms(self, event_id: UUID) -> SaleTerms | None:
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "SELECT status, sale_starts_at, sale_ends_at, max_seats_per_customer, currency_code,"
                " EXISTS (SELECT 1 FROM waiting_room w WHERE w.event_id = e.id AND w.enabled) "
                "FROM event e WHERE id = %s",
                (event_id,),
            )
            event = await cur.fetchone()
            if event is None:
                return None
            cur = await conn.execute(
                "SELECT tier_id, price_minor FROM price_tier WHERE event_id = %s", (event_id,)
            )
            prices = dict(await cur.fetchall())
        status, sale_start, sale_end, limit, currency, queued = event
        return SaleTerms(
            event_id,
            status != "DRAFT",
            status == "PUBLISHED",
            sale_start,
            sale_end,
            limit,
            currency,
            prices,
            queued,
        )

    async def claim(self, request: ClaimRequest) -> Hold:
        params = {
            "event": request.event_id,
            "seats": list(request.seat_ids),
            "hold": request.hold_id,
            "customer": request.customer,
            "expires": request.expires_at,
            "now": request.now,
            "request_id": request.request_id,
            "pass": request.pass_id,
        }
        try:
            async with self._pool.connection() as conn:
                try:
                    return await self._claim_in(conn, request, params)
                except _Rollback:
                    return await self._explain_failure(conn, request, params)
        except (psycopg.errors.LockNotAvailable, psycopg.errors.DeadlockDetected) as exc:
            raise DomainError(
                ErrorCode.SEATS_BUSY,
                "the seats are contended right now; retry shortly",
                metadata={"retry_ms": "200"},
            ) from exc

    async def _claim_in(
        self, conn: AsyncConnection[Any], request: ClaimRequest, params: dict[str, Any]
    ) -> Hold:
        """One statement, so one transaction: seats, customer limit, hold, live seats, outbox. Raises
        _Rollback (nothing written) when a seat was not claimable or a twin request committed first."""
        event = SeatsHeld(
            request.hold_id, request.event_id, request.customer, request.seat_ids, request.expires_at
        )
        outbox = outbox_row(event, uuid.uuid4(), request.now, request.customer, request.request_id)
        terms = request.terms
        try:
            cur = await conn.execute(
                CLAIM,
                {
                    **params,
                    "limit": terms.max_seats_per_customer,
                    "tier_ids": list(terms.tier_prices),
                    "tier_prices": list(terms.tier_prices.values()),
                    "currency": terms.currency_code,
                    **{f"outbox_{key}": value for key, value in outbox.items()},
                },
            )
        except psycopg.Error as exc:
            if exc.sqlstate == LIMIT_REACHED:
                held = int(exc.diag.message_detail or 0)
                check_customer_limit(terms, held + len(request.seat_ids), len(request.seat_ids))
            if exc.sqlstate in {LIMIT_REACHED, TWIN_COMMITTED}:
                raise _Rollback from None
            if exc.sqlstate == ADMISSION_USED:
                raise DomainError(
                    ErrorCode.QUEUE_PASS_USED,
                    "the queue pass already took its hold",
                    metadata={"field": "queue_pass"},
                ) from None
            raise
        claimed = await cur.fetchall()
        if not claimed:
            raise _Rollback
        seats = price_claim(request, dict(claimed))
        return Hold(
            request.hold_id,
            request.event_id,
            request.customer,
            seats,
            terms.currency_code,
            request.expires_at,
            HoldStatus.ACTIVE,
            request.now,
        )

    async def _explain_failure(
        self, conn: AsyncConnection[Any], request: ClaimRequest, params: dict[str, Any]
    ) -> Hold:
        row = await (await conn.execute(DIAGNOSE, params)).fetchone()
        replay, found = row or (None, [])
        if replay is not None:
            earlier = await _fetch_hold(conn, replay)  # on the connection we hold: no second checkout
            if earlier is not None and tuple(sorted(earlier.seat_ids)) == request.seat_ids:
                return earlier
            raise DomainError(ErrorCode.REQUEST_ID_REUSED, "this request_id was used for other seats")
        missing = sorted(set(request.seat_ids) - set(found))
        if missing:
            raise seats_not_found(missing)
        raise seats_unavailable(list(request.seat_ids))

    async def end_event_holds(self, event_id: UUID) -> Sequence[EndedHold]:
        """One short transaction per hold, like a release, so a large event never holds all its seats'
        locks at once; each end is conditional, so a hold that ended meanwhile is skipped."""
        ended = []
        async with self._pool.connection() as conn:
            holds = await (await conn.execute(EVENT_HOLDS, (event_id,))).fetchall()
            for (hold_id,) in holds:
                async with conn.transaction():
                    done = await end_hold(
                        conn, self._clock(), hold_id, HoldStatus.RELEASED, "true", "system", "event-closed"
                    )
                if done is not None:
                    ended.append(done)
        return ended

    async def seat_statuses(self, event_id: UUID) -> dict[str, str]:
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "SELECT seat_id, status FROM event_seat WHERE event_id = %s", (event_id,)
            )
            return dict(await cur.fetchall())

    async def get_hold(self, hold_id: UUID) -> Hold | None:
        async with self._pool.connection() as conn:
            return await _fetch_hold(conn, hold_id)

    async def hold_for_request(self, customer: str, request_id: str) -> Hold | None:
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "SELECT id FROM hold WHERE customer = %s AND request_id = %s", (customer, request_id)
            )
            row = await cur.fetchone()
            return await _fetch_hold(conn, row[0]) if row else None

    async def release(self, hold_id: UUID, customer: str, request_id: str) -> EndedHold | None:
        async with self._pool.connection() as conn, conn.transaction():
            condition = "customer = %(customer)s"
            return await end_hold(
                conn, self._clock(), hold_id, HoldStatus.RELEASED, condition, customer, request_id
            )

    async def expire(self, hold_id: UUID) -> EndedHold | None:
        async with self._pool.connection() as conn, conn.transaction():
            return await end_hold(conn, self._clock(), hold_id, HoldStatus.EXPIRED, LAPSED, "system", "")

    async def expire_due(self, limit: int) -> Sequence[EndedHold]:
        """A batch of lapsed holds in one transaction. SKIP LOCKED lets several sweepers share work."""
        ended = []
        async with self._pool.connection() as conn, conn.transaction():
            due = await (await conn.execute(DUE_HOLDS, {"now": self._clock(), "limit": limit})).fetchall()
            for (hold_id,) in due:
                hold = await end_hold(conn, self._clock(), hold_id, HoldStatus.EXPIRED, LAPSED, "system", "")
                if hold is not None:
                    ended.append(hold)
        return ended


async def end_hold(
    conn: AsyncConnection[Any],
    now: datetime,
    hold_id: UUID,
    status: HoldStatus,
    condition: str,
    actor: str,
    request_id: str,
) -> EndedHold | None:
    """End an ACTIVE hold (first, so the hold row serializes a release against an expiry) and free
    exactly the seats that still belong to it. `condition` is a constant SQL predicate on the hold."""
    params: dict[str, Any] = {"hold": hold_id, "status": status.value, "now": now, "customer": actor}
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(END_HOLD.format(condition=condition), params)
    row = await cur.fetchone()
    if row is None:
        return None
    hold = hold_from_row(row)
    params.update(event=hold.event_id, seats=list(hold.seat_ids))
    freed = tuple(r[0] for r in await (await conn.execute(FREE_SEATS, params)).fetchall())
    await conn.execute("UPDATE hold_seat SET live = false WHERE hold_id = %(hold)s AND live", params)
    event_type = HoldReleased if status is HoldStatus.RELEASED else HoldExpired
    await write_outbox(conn, event_type(hold.id, hold.event_id, freed), now, actor, request_id)
    return EndedHold(hold, freed)  # RETURNING gave the row as updated: it carries the new status


class _Rollback(Exception):  # noqa: N818 - a control-flow signal, not an error
    """Leaves the transaction block so psycopg rolls it back; the caller then explains why."""
