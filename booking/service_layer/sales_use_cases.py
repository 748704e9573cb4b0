"""The organizer's view of their own events' sales: the dashboard, the attendees and their CSV."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from uuid import UUID

from apextick_platform.identity import Principal
from booking.domain.order import Order
from booking.service_layer import paging
from booking.service_layer.event_use_cases import event_not_found
from booking.service_layer.order_ports import OrderQuery, OrderStore
from booking.service_layer.order_use_cases import search_page
from booking.service_layer.paging import Page
from booking.service_layer.ports import Clock, Cursor
from booking.service_layer.sales_ports import Attendee, Dashboard, SalesReport

COLUMNS = ("ticket", "seat_id", "price_tier_id", "order_reference", "customer_name", "customer_email",
           "state", "admitted_at")  # fmt: skip
EXPORT_PAGE = 1000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    """Names and emails are the buyers' own text: a leading formula character is neutralised, so the
    file cannot run anything when an organizer opens it in a spreadsheet."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def csv_row(a: Attendee) -> list[str]:
    admitted = a.admitted_at.isoformat() if a.admitted_at else ""
    return [f"tickets/{a.ticket_id}", a.seat_id, a.tier_id, a.order_reference, _cell(a.customer_name),
            _cell(a.customer_email), a.state, admitted]  # fmt: skip


class SalesUseCases:
    def __init__(self, sales: SalesReport, orders: OrderStore, clock: Clock) -> None:
        self._sales = sales
        self._orders = orders
        self._clock = clock

    async def _own(self, principal: Principal, event_id: UUID) -> None:
        owner = await self._sales.event_owner(event_id)
        if owner is None or not principal.can_manage(owner):
            raise event_not_found(event_id)

    async def dashboard(self, principal: Principal, event_id: UUID) -> Dashboard:
        await self._own(principal, event_id)
        return await self._sales.dashboard(event_id, self._clock())

    async def attendees(
        self, principal: Principal, event_id: UUID, query: str, size: int, token: str
    ) -> Page[Attendee]:
        await self._own(principal, event_id)
        limit = paging.page_size(size, default=50, maximum=500)
        key = paging.query_hash("attendees", event_id, query.strip())
        rows = await self._sales.attendees(event_id, query.strip(), paging.decode(token, key), limit + 1)
        return paging.cut(rows, limit, lambda a: Cursor(a.issued_at, a.ticket_id), key)

    async def event_orders(
        self, principal: Principal, event_id: UUID, query: OrderQuery, size: int, token: str
    ) -> Page[Order]:
        await self._own(principal, event_id)
        return await search_page(self._orders, replace(query, event_id=event_id), size, token)

    async def export(self, principal: Principal, event_id: UUID) -> str:
        await self._own(principal, event_id)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        after: Cursor | None = None
        while rows := await self._sales.attendees(event_id, "", after, EXPORT_PAGE):
            writer.writerows(csv_row(a) for a in rows)
            after = Cursor(rows[-1].issued_at, rows[-1].ticket_id)
        return out.getvalue()
