"""SalesService: protobuf in, sales use case, protobuf out."""

from __future__ import annotations

from typing import Any

from apextick.sales.v1 import sales_service_pb2 as ssv
from apextick.sales.v1 import sales_service_pb2_grpc as ssv_grpc
from google.api import httpbody_pb2

from apextick_platform import call_context
from apextick_platform.proto_time import stamp
from booking.entrypoints.grpc import names
from booking.entrypoints.grpc.order_mapping import order_message, order_query
from booking.service_layer.sales_ports import Attendee, Dashboard, Revenue, SellThrough
from booking.service_layer.sales_use_cases import SalesUseCases

Context = Any


def through(row: SellThrough) -> ssv.SellThrough:
    return ssv.SellThrough(id=row.id, seats=row.seats, sold=row.sold, held=row.held)


def revenue(row: Revenue) -> ssv.Revenue:
    return ssv.Revenue(
        currency_code=row.currency_code, gross_minor=row.gross_minor, refunded_minor=row.refunded_minor,
        net_minor=row.net_minor,
    )  # fmt: skip


def dashboard_message(board: Dashboard) -> ssv.GetEventDashboardResponse:
    holds, checkouts, paid, admitted = board.funnel
    minutes = [ssv.MinuteSales(minute=stamp(m.minute), holds=m.holds, paid=m.paid) for m in board.per_minute]
    return ssv.GetEventDashboardResponse(
        revenue=[revenue(r) for r in board.revenue],
        tiers=[through(t) for t in board.tiers],
        sections=[through(s) for s in board.sections],
        holds_in_flight=board.holds_in_flight,
        seats_in_flight=board.seats_in_flight,
        funnel=ssv.Funnel(holds=holds, checkouts=checkouts, paid=paid, admitted=admitted),
        per_minute=minutes,
        scan_conflicts=board.scan_conflicts,
    )


def attendee_message(a: Attendee) -> ssv.Attendee:
    return ssv.Attendee(
        ticket=f"tickets/{a.ticket_id}", seat_id=a.seat_id, price_tier_id=a.tier_id,
        order=f"orders/{a.order_id}", order_reference=a.order_reference, customer_name=a.customer_name,
        customer_email=a.customer_email, state=a.state, admit_time=stamp(a.admitted_at),
    )  # fmt: skip


class SalesServicer(ssv_grpc.SalesServiceServicer):
    def __init__(self, sales: SalesUseCases) -> None:
        self._sales = sales

    async def GetEventDashboard(
        self, request: ssv.GetEventDashboardRequest, context: Context
    ) -> ssv.GetEventDashboardResponse:
        board = await self._sales.dashboard(call_context.signed_in(), names.event_id(request.event, "event"))
        return dashboard_message(board)

    async def ListAttendees(
        self, request: ssv.ListAttendeesRequest, context: Context
    ) -> ssv.ListAttendeesResponse:
        event_id = names.event_id(request.parent, "parent")
        page = await self._sales.attendees(
            call_context.signed_in(), event_id, request.query, request.page_size, request.page_token
        )
        attendees = [attendee_message(a) for a in page.items]
        return ssv.ListAttendeesResponse(attendees=attendees, next_page_token=page.next_page_token)

    async def ListEventOrders(
        self, request: ssv.ListEventOrdersRequest, context: Context
    ) -> ssv.ListEventOrdersResponse:
        event_id = names.event_id(request.parent, "parent")
        query = order_query(request.query, request.state)
        page = await self._sales.event_orders(
            call_context.signed_in(), event_id, query, request.page_size, request.page_token
        )
        orders = [order_message(o) for o in page.items]
        return ssv.ListEventOrdersResponse(orders=orders, next_page_token=page.next_page_token)

    async def ExportAttendees(
        self, request: ssv.ExportAttendeesRequest, context: Context
    ) -> httpbody_pb2.HttpBody:
        text = await self._sales.export(call_context.signed_in(), names.event_id(request.parent, "parent"))
        return httpbody_pb2.HttpBody(content_type="text/csv; charset=utf-8", data=text.encode())
