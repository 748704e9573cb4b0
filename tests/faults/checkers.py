"""Checkers of the hold invariants, read from PostgreSQL after a run (and the run's own record of what
it was told). Each returns a count that must be zero; each is shown to catch a broken variant in
test_broken_variants.py, so a zero means something."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

import psycopg

# A hold's life on a seat: from its creation to its end, its expiry, or forever once it was bought.
_LIVES = """
SELECT id, unnest(seat_ids) AS seat, created_at,
       CASE WHEN status = 'CONVERTED' THEN 'infinity'::timestamptz
            ELSE least(coalesce(ended_at, 'infinity'::timestamptz), expires_at) END AS until
FROM hold WHERE event_id = %(event)s
"""

# Holds are stamped when their request is planned, before its transaction: a claim planned just before
# a rival's release, and committed just after it, legitimately starts "before" the release ended. So two
# lives conflict only when they overlap by more than the longest a request can be in flight (its
# deadline); a real double hold overlaps by the whole life of a hold.
SEATS_HELD_TWICE = f"""
WITH lives AS ({_LIVES})
SELECT count(*) FROM lives a JOIN lives b
  ON a.seat = b.seat AND a.id < b.id
 AND least(a.until, b.until) - greatest(a.created_at, b.created_at) > %(allowance)s
"""  # noqa: S608 - built from constants

PARTIAL_HOLDS = """
SELECT count(*) FROM hold h
WHERE h.event_id = %(event)s AND h.status = 'ACTIVE' AND h.expires_at > %(now)s
  AND (SELECT count(*) FROM event_seat s
       WHERE s.event_id = h.event_id AND s.seat_id = ANY(h.seat_ids)
         AND s.hold_id = h.id AND s.status = 'HELD') <> cardinality(h.seat_ids)
"""

EARLY_RELEASES = """
SELECT count(*) FROM hold WHERE event_id = %(event)s AND status = 'EXPIRED' AND ended_at < expires_at
"""

STUCK_HOLDS = """
SELECT count(*) FROM hold WHERE event_id = %(event)s AND status = 'ACTIVE' AND expires_at < %(deadline)s
"""


PAID_UNCONFIRMED = """
SELECT count(*) FROM purchase_order o JOIN payment p ON p.order_id = o.id
WHERE o.event_id = %(event)s AND p.captured_at IS NOT NULL AND o.state NOT IN ('PAID', 'REFUNDED')
"""


@dataclass(frozen=True)
class Acknowledged:
    """A hold the client was told it won: its id and the seats it asked for."""

    hold_id: UUID
    seat_ids: tuple[str, ...]


def _count(database_url: str, query: str, params: dict[str, object]) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(query, params).fetchone()
    return int(row[0]) if row else 0


def seats_held_twice(database_url: str, event_id: UUID, in_flight: timedelta = timedelta(seconds=4)) -> int:
    """I1: pairs of holds whose lives on one seat overlap by more than a request's time in flight."""
    return _count(database_url, SEATS_HELD_TWICE, {"event": event_id, "allowance": in_flight})


def partial_holds(database_url: str, event_id: UUID, now: datetime) -> int:
    """I2: live holds that do not hold every one of their seats."""
    return _count(database_url, PARTIAL_HOLDS, {"event": event_id, "now": now})


def early_releases(database_url: str, event_id: UUID) -> int:
    """I3's other side: holds expired before their time."""
    return _count(database_url, EARLY_RELEASES, {"event": event_id})


def stuck_holds(database_url: str, event_id: UUID, now: datetime, grace: timedelta) -> int:
    """I3: holds still active well past their time."""
    return _count(database_url, STUCK_HOLDS, {"event": event_id, "deadline": now - grace})


def lost_acknowledged_holds(database_url: str, acknowledged: Iterable[Acknowledged]) -> int:
    """I8 and durability: acknowledged holds that PostgreSQL does not have, or has with other seats."""
    wanted = {a.hold_id: tuple(sorted(a.seat_ids)) for a in acknowledged}
    if not wanted:
        return 0
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT id, seat_ids FROM hold WHERE id = ANY(%s)", (list(wanted),)).fetchall()
    stored = {row[0]: tuple(sorted(row[1])) for row in rows}
    return sum(1 for hold_id, seats in wanted.items() if stored.get(hold_id) != seats)


def paid_unconfirmed(database_url: str, event_id: UUID) -> int:
    """I4: captured payments whose order is neither confirmed (PAID) nor refunded."""
    return _count(database_url, PAID_UNCONFIRMED, {"event": event_id})


def refunds_above_one(refund_calls: Iterable[UUID]) -> int:
    """I4's other half: orders the provider was asked to refund more than once."""
    counts: dict[UUID, int] = {}
    for order_id in refund_calls:
        counts[order_id] = counts.get(order_id, 0) + 1
    return sum(1 for calls in counts.values() if calls > 1)


def emails_other_than_one(expected: Iterable[str], sent: Iterable[tuple[str, str]]) -> int:
    """I5: confirmed orders whose buyer got no ticket email, or more than one (one email per order).

    An email is its Message-ID, as mail clients and servers tell emails apart. A consumer killed after
    the mail server took a message but before its "250 OK" reached the consumer sends it again with
    the same Message-ID: SMTP cannot close that window (RFC 1047), so the run reports such resends
    (`smtp_resends`) beside this figure; a second email with a new Message-ID is a second effect."""
    ids: dict[str, set[str]] = {}
    for recipient, message_id in sent:
        ids.setdefault(recipient, set()).add(message_id)
    return sum(1 for recipient in expected if len(ids.get(recipient, ())) != 1)


def smtp_resends(sent: Iterable[tuple[str, str]]) -> int:
    """Copies of an email beyond the first, with the same Message-ID (see emails_other_than_one)."""
    pairs = list(sent)
    return len(pairs) - len(set(pairs))


def events_lost(committed: Iterable[str], delivered: Iterable[str]) -> int:
    """I5's first link: committed outbox rows that never reached the bus (by message id)."""
    return len(set(committed) - set(delivered))


# I6: a ticket admitted by more than one scan. The scan rows are the gates' own record of what they told
# the holder, so this counts the people let in twice, whatever the ticket row says.
DOUBLE_ADMISSIONS = """
SELECT count(*) FROM (
  SELECT ticket_id FROM gate_scan WHERE event_id = %s AND outcome = 'ADMITTED' AND NOT offline
  GROUP BY ticket_id HAVING count(*) > 1
) twice
"""


def double_admissions(database_url: str, event_id: UUID) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(DOUBLE_ADMISSIONS, (event_id,)).fetchone()
    return int(row[0]) if row else 0
