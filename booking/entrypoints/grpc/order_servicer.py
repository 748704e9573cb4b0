"""OrderService and TicketService: protobuf in, use case, protobuf out."""

from __future__ import annotations

from typing import Any

from apextick.orders.v1 import order_service_pb2 as svc
from apextick.orders.v1 import order_service_pb2_grpc as svc_grpc
from apextick.tickets.v1 import ticket_service_pb2 as tsvc
from apextick.tickets.v1 import ticket_service_pb2_grpc as tsvc_grpc

from apextick_platform import call_context
from booking.entrypoints.grpc import names
from booking.entrypoints.grpc.counters import BookingCounters
from booking.entrypoints.grpc.order_mapping import order_message, provider_from_message, ticket_message
from booking.service_layer.order_use_cases import CheckoutCommand, OrderUseCases
from booking.service_layer.refund_use_cases import RefundUseCases

Context = Any


class OrderServicer(svc_grpc.OrderServiceServicer):
    def __init__(
        self, orders: OrderUseCases, refunds: RefundUseCases, counters: BookingCounters | None = None
    ) -> None:
        self._orders = orders
        self._refunds = refunds
        self._counters = counters or BookingCounters()

    async def OrganizerRefundOrder(
        self, request: svc.OrganizerRefundOrderRequest, context: Context
    ) -> svc.OrganizerRefundOrderResponse:
        order = await self._refunds.organizer_refund(
            call_context.signed_in(), names.order_id(request.name), request.request_id
        )
        return svc.OrganizerRefundOrderResponse(order=order_message(order))

    async def RequestRefund(
        self, request: svc.RequestRefundRequest, context: Context
    ) -> svc.RequestRefundResponse:
        order = await self._refunds.customer_refund(
            call_context.signed_in(), names.order_id(request.name), request.request_id
        )
        return svc.RequestRefundResponse(order=order_message(order))

    async def Checkout(self, request: svc.CheckoutRequest, context: Context) -> svc.CheckoutResponse:
        command = CheckoutCommand(
            hold_id=names.hold_id(request.hold, "hold"),
            provider=provider_from_message(request.provider),
            success_url=request.success_url,
            cancel_url=request.cancel_url,
            request_id=request.request_id,
        )
        order = await self._orders.checkout(call_context.signed_in(), command)
        self._counters.checkout(order.provider.value)
        return svc.CheckoutResponse(order=order_message(order))

    async def GetOrder(self, request: svc.GetOrderRequest, context: Context) -> svc.GetOrderResponse:
        order = await self._orders.get(call_context.signed_in(), names.order_id(request.name))
        return svc.GetOrderResponse(order=order_message(order))

    async def ListMyOrders(
        self, request: svc.ListMyOrdersRequest, context: Context
    ) -> svc.ListMyOrdersResponse:
        page = await self._orders.list_mine(call_context.signed_in(), request.page_size, request.page_token)
        orders = [order_message(o) for o in page.items]
        return svc.ListMyOrdersResponse(orders=orders, next_page_token=page.next_page_token)

    async def CancelOrder(self, request: svc.CancelOrderRequest, context: Context) -> svc.CancelOrderResponse:
        order = await self._orders.cancel(
            call_context.signed_in(), names.order_id(request.name), request.request_id
        )
        return svc.CancelOrderResponse(order=order_message(order))


class TicketServicer(tsvc_grpc.TicketServiceServicer):
    def __init__(self, orders: OrderUseCases) -> None:
        self._orders = orders

    async def ListMyTickets(
        self, request: tsvc.ListMyTicketsRequest, context: Context
    ) -> tsvc.ListMyTicketsResponse:
        order = names.order_id(request.order, "order") if request.order else None
        page = await self._orders.my_tickets(
            call_context.signed_in(), order, request.page_size, request.page_token
        )
        tickets = [ticket_message(t) for t in page.items]
        return tsvc.ListMyTicketsResponse(tickets=tickets, next_page_token=page.next_page_token)

    async def GetTicket(self, request: tsvc.GetTicketRequest, context: Context) -> tsvc.GetTicketResponse:
        ticket = await self._orders.ticket(call_context.signed_in(), names.ticket_id(request.name))
        return tsvc.GetTicketResponse(ticket=ticket_message(ticket))
