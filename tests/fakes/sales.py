"""The sales figures in memory, from the fakes' shared tables, by the rules PgSales reads them with.
Sections come from the seat id's first part, as every seat map of the unit tests names its seats."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from booking.domain.hold import HoldStatus
from booking.domain.order import OrderState
from booking.service_layer.ports import Cursor
from booking.service_layer.sales_ports import Attendee, Dashboard, Minute, Revenue, SellThrough
from tests.fakes.tables import Database, SeatRow

PAID_STATES = {OrderState.PAID, OrderState.REFUNDED}


def through(rows: dict[str, list[SeatRow]]) -> tuple[SellThrough, ...]:
    return tuple(
        SellThrough(
            key, len(seats), sum(s.status == "BOOKED" for s in seats), sum(s.status == "HELD" for s in seats)
        )
        for key, seats in sorted(rows.items())
    )


class FakeSales:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def event_owner(self, event_id: UUID) -> str | None:
        event = self._db.tables.events.get(event_id)
        return event.organizer if event else None

    async def dashboard(self, event_id: UUID, now: datetime) -> Dashboard:
        t = self._db.tables
        orders = [o for o in t.orders.values() if o.event_id == event_id]
        paid = [o for o in orders if o.state in PAID_STATES and o.paid_at is not None]
        gross, refunded = Counter[str](), Counter[str]()
        for order in paid:
            gross[order.currency_code] += order.total_minor
        for refund in t.refunds.values():
            if t.orders[refund.due.order_id].event_id == event_id:
                refunded[refund.due.currency_code] += refund.due.amount_minor
        seats = t.event_seats.get(event_id, {})
        by_tier: dict[str, list[SeatRow]] = {}
        by_section: dict[str, list[SeatRow]] = {}
        for seat_id, row in seats.items():
            by_tier.setdefault(row.tier_id, []).append(row)
            by_section.setdefault(seat_id.split("-")[0], []).append(row)
        holds = [h for h in t.holds.values() if h.event_id == event_id]
        live = [h for h in holds if h.status is HoldStatus.ACTIVE and h.expires_at > now]
        admitted = sum(1 for tid in t.admissions if t.tickets[tid].event_id == event_id)
        minutes = Counter[tuple[datetime, str]]()
        for hold in holds:
            minutes[hold.created_at.replace(second=0, microsecond=0), "holds"] += 1
        for order in paid:
            minutes[order.paid_at.replace(second=0, microsecond=0), "paid"] += 1  # type: ignore[union-attr]
        per_minute = tuple(
            Minute(m, minutes[m, "holds"], minutes[m, "paid"]) for m in sorted({m for m, _ in minutes})
        )
        return Dashboard(
            revenue=tuple(Revenue(c, gross[c], refunded[c]) for c in sorted({*gross, *refunded})),
            tiers=through(by_tier),
            sections=through(by_section),
            holds_in_flight=len(live),
            seats_in_flight=sum(len(h.seat_ids) for h in live),
            funnel=(len(holds), len(orders), len(paid), admitted),
            per_minute=per_minute,
            scan_conflicts=sum(1 for e, _ in t.gate_conflicts if e == event_id),
        )

    async def attendees(
        self, event_id: UUID, query: str, after: Cursor | None, limit: int
    ) -> Sequence[Attendee]:
        t, needle = self._db.tables, query.lower()
        found = []
        for ticket in t.tickets.values():
            order = t.orders[ticket.order_id]
            text = " ".join(
                (order.customer_name, order.customer_email, order.reference, ticket.seat_id)
            ).lower()
            if ticket.event_id != event_id or needle not in text:
                continue
            if after is not None and (ticket.issued_at, ticket.id) >= (after.sort_value, after.id):
                continue
            admitted = t.admissions.get(ticket.id)
            at = admitted[1] if admitted else None
            found.append(Attendee(ticket.id, ticket.seat_id, ticket.tier_id, order.id, order.reference,
                                  order.customer_name, order.customer_email, ticket.status.value,
                                  ticket.issued_at, at))  # fmt: skip
        return sorted(found, key=lambda a: (a.issued_at, a.ticket_id), reverse=True)[:limit]
