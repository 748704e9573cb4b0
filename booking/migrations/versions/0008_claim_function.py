"""The winners' seat claim as one SQL function, so a claim is one round trip instead of nine.

It keeps every guarantee of the statement-by-statement claim it replaces, inside the one statement's
transaction: the seat rows locked in seat-id order (no deadlock between overlapping claims), the
claimable count read under those locks, the customer's row locked before their live seats are
counted against the limit, then the seats, the lapsed holds' live seats, the hold, its live seats and
the outbox row. Nothing is written when a seat is not claimable; the limit and a twin request that
committed first raise (SQLSTATE AT001, AT002), which rolls back the whole statement.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 06:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every seat is read, locked and written by its whole primary key, one statement per seat in a loop,
# never by `seat_id = ANY(...)`: an event created minutes ago has no statistics yet, and with ANY (or a
# join with unnest) the planner took the event id alone as the index condition and filtered all of a
# 10,000-seat event's rows on every claim. p_seats arrives sorted (the caller's code-point order, which
# is this database's C collation order too), so the loop takes the row locks in seat-id order and two
# overlapping claims cannot deadlock.
#
# The hold's tier and price arrays follow p_seats. A seat's price is its tier's price from
# p_tier_ids/p_tier_prices (the sale terms the caller priced with), 0 for a tier the terms lack: the
# rule of domain.hold.price_claim.
CLAIM_SEATS = """
CREATE OR REPLACE FUNCTION claim_seats(
    p_event uuid, p_seats text[], p_hold uuid, p_customer text, p_request_id text,
    p_now timestamptz, p_expires timestamptz, p_limit integer,
    p_tier_ids text[], p_tier_prices bigint[], p_currency text,
    p_outbox_id uuid, p_outbox_aggregate text, p_outbox_aggregate_id text, p_outbox_type text,
    p_outbox_routing_key text, p_outbox_payload bytea
) RETURNS TABLE (seat_id text, tier_id text)
LANGUAGE plpgsql AS $fn$
DECLARE
    wanted text;
    seat_status text;
    seat_expires timestamptz;
    lapsed boolean := false;
    held integer;
    tier text;
    tiers text[] := '{}';
    prices bigint[] := '{}';
BEGIN
    FOREACH wanted IN ARRAY p_seats LOOP
        SELECT s.status, s.hold_expires_at INTO seat_status, seat_expires
        FROM event_seat s WHERE s.event_id = p_event AND s.seat_id = wanted
        FOR UPDATE;
        IF NOT FOUND
           OR NOT (seat_status = 'AVAILABLE' OR (seat_status = 'HELD' AND seat_expires <= p_now)) THEN
            RETURN;  -- a taken or unknown seat: nothing written, the caller explains which
        END IF;
        lapsed := lapsed OR seat_status = 'HELD';
    END LOOP;

    INSERT INTO customer_event (event_id, customer) VALUES (p_event, p_customer)
    ON CONFLICT (event_id, customer) DO UPDATE SET touched_at = now();
    SELECT count(*) INTO held FROM event_seat s
    WHERE s.event_id = p_event AND s.holder = p_customer
      AND (s.status = 'BOOKED' OR (s.status = 'HELD' AND s.hold_expires_at > p_now));
    IF held + cardinality(p_seats) > p_limit THEN
        RAISE EXCEPTION 'seat limit reached' USING ERRCODE = 'AT001', DETAIL = held::text;
    END IF;

    FOREACH wanted IN ARRAY p_seats LOOP
        UPDATE event_seat s
        SET status = 'HELD', hold_id = p_hold, holder = p_customer, hold_expires_at = p_expires,
            version = s.version + 1
        WHERE s.event_id = p_event AND s.seat_id = wanted
        RETURNING s.tier_id INTO tier;
        tiers := tiers || tier;
        prices := prices || coalesce(p_tier_prices[array_position(p_tier_ids, tier)], 0);
        IF lapsed THEN  -- a seat taken over from a lapsed hold stops being that hold's live seat
            UPDATE hold_seat h SET live = false WHERE h.event_id = p_event AND h.seat_id = wanted AND h.live;
        END IF;
    END LOOP;

    INSERT INTO hold (id, event_id, customer, request_id, seat_ids, tier_ids, prices_minor, currency_code,
                      status, expires_at, created_at)
    VALUES (p_hold, p_event, p_customer, p_request_id, p_seats, tiers, prices, p_currency,
            'ACTIVE', p_expires, p_now)
    ON CONFLICT (customer, request_id) DO NOTHING;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'a twin request committed first' USING ERRCODE = 'AT002';
    END IF;
    INSERT INTO hold_seat (hold_id, seat_id, event_id) SELECT p_hold, unnest(p_seats), p_event;
    INSERT INTO outbox (id, aggregate, aggregate_id, type, routing_key, payload, created_at)
    VALUES (p_outbox_id, p_outbox_aggregate, p_outbox_aggregate_id, p_outbox_type, p_outbox_routing_key,
            p_outbox_payload, p_now);

    RETURN QUERY SELECT w.seat, tiers[w.n]::text FROM unnest(p_seats) WITH ORDINALITY AS w(seat, n);
END
$fn$
"""


def upgrade() -> None:
    op.execute(CLAIM_SEATS)


def downgrade() -> None:
    op.execute(
        "DROP FUNCTION IF EXISTS claim_seats(uuid, text[], uuid, text, text, timestamptz, timestamptz,"
        " integer, text[], bigint[], text, uuid, text, text, text, text, bytea)"
    )
