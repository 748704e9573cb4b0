"""Checkout, orders and tickets as the customer sees them."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from uuid import UUID

from apextick_platform.errors import DomainError, ErrorCode
from apextick_platform.identity import Principal
from apextick_platform.text import one_line
from booking.domain.hold import SeatStatus
from booking.domain.order import Order, OrderState, PaymentWindow, choose_provider
from booking.domain.payment import Provider, SessionRequest
from booking.domain.ticket import Ticket
from booking.service_layer import paging
from booking.service_layer.hold_ports import SeatChangeNote, SeatSignals
from booking.service_layer.order_ports import CheckoutDraft, OrderQuery, OrderStore, TicketStore
from booking.service_layer.payment_ports import PaymentGateway, PaymentLedger
from booking.service_layer.payment_sessions import close_session, gateway_for
from booking.service_layer.ports import Clock, Cursor, IdFactory
from booking.service_layer.seat_signals import send_after_commit

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckoutCommand:
    hold_id: UUID
    provider: Provider | None
    success_url: str
    cancel_url: str
    request_id: str


def order_not_found(order_id: UUID) -> DomainError:
    return DomainError(ErrorCode.ORDER_NOT_FOUND, "no such order", metadata={"order": f"orders/{order_id}"})


async def search_page(store: OrderStore, query: OrderQuery, size: int, token: str) -> paging.Page[Order]:
    query = replace(query, text=query.text.strip())
    key = paging.query_hash("order-search", query)
    limit = paging.page_size(size, default=20, maximum=100)
    orders = await store.search(query, paging.decode(token, key), limit + 1)
    return paging.cut(orders, limit, lambda o: Cursor(o.created_at, o.id), key)


class OrderUseCases:
    def __init__(
        self,
        orders: OrderStore,
        tickets: TicketStore,
        ledger: PaymentLedger,
        gateways: Mapping[Provider, PaymentGateway],
        signals: SeatSignals,
        window: PaymentWindow,
        *,
        clock: Clock,
        new_id: IdFactory,
        default_return_url: str,
    ) -> None:
        self._orders = orders
        self._tickets = tickets
        self._ledger = ledger
        self._gateways = gateways
        self._signals = signals
        self._window = window
        self._clock = clock
        self._new_id = new_id
        self._return_url = default_return_url

    async def checkout(self, principal: Principal, command: CheckoutCommand) -> Order:
        """The order is committed before the provider is called, so a provider outage leaves a pending
        order whose session a retry (same request id) opens: the provider's idempotency key is the
        order id, so the retry gets the same session, never a second one."""
        currency_code = await self._orders.hold_currency(command.hold_id, principal.subject)
        if currency_code is None:
            raise DomainError(
                ErrorCode.HOLD_NOT_FOUND, "no such hold", metadata={"hold": f"holds/{command.hold_id}"}
            )
        provider = choose_provider(command.provider, currency_code)
        gateway_for(self._gateways, provider, currency_code)  # refused before anything is written
        draft = CheckoutDraft(
            order_id=self._new_id(),
            hold_id=command.hold_id,
            customer=principal.subject,
            customer_name=one_line(principal.display_name),  # from the identity provider's profile
            customer_email=principal.email.strip(),
            request_id=command.request_id,
            provider=provider,
            window=self._window,
        )
        order = await self._orders.create(draft)
        if order.session is not None or order.state is not OrderState.PENDING_PAYMENT:
            return order
        # The hold's TTL key and the live map follow the longer hold; PostgreSQL's time decides anyway.
        waiting = SeatChangeNote(
            order.event_id,
            order.hold_id,
            order.seat_ids,
            SeatStatus.HELD,
            order.customer,
            order.payment_deadline,
        )
        await send_after_commit(self._signals, [waiting])
        # The order's own provider: a retry that names another provider still gets its first order.
        session = await gateway_for(self._gateways, order.provider).open_session(
            SessionRequest(
                order_id=order.id,
                reference=order.reference,
                amount_minor=order.total_minor,
                currency_code=order.currency_code,
                description=f"ApexTick order {order.reference}: {len(order.items)} seat(s)",
                customer_email=order.customer_email,
                customer_name=order.customer_name,
                expires_at=order.payment_deadline,
                success_url=command.success_url or self._return_url,
                cancel_url=command.cancel_url or self._return_url,
            )
        )
        return await self._orders.attach_session(order.id, session)

    async def get(self, principal: Principal, order_id: UUID) -> Order:
        order = await self._orders.get(order_id)
        if order is None or not principal.can_manage(order.customer):
            raise order_not_found(order_id)
        return order

    async def search(self, query: OrderQuery, size: int, token: str) -> paging.Page[Order]:
        """Every order (the admin's search; the caller policy admits admins only)."""
        return await search_page(self._orders, query, size, token)

    async def list_mine(self, principal: Principal, size: int, token: str) -> paging.Page[Order]:
        query = paging.query_hash("orders", principal.subject)
        limit = paging.page_size(size, default=20, maximum=100)
        orders = await self._orders.for_customer(principal.subject, paging.decode(token, query), limit + 1)
        return paging.cut(orders, limit, lambda o: Cursor(o.created_at, o.id), query)

    async def cancel(self, principal: Principal, order_id: UUID, request_id: str) -> Order:
        order = await self.get(principal, order_id)
        result = await self._orders.cancel(order.id, principal.subject, request_id)
        await send_after_commit(self._signals, result.seat_changes)
        await close_session(self._ledger, self._gateways, result.order)  # the reconciler retries
        return result.order

    async def my_tickets(
        self, principal: Principal, order_id: UUID | None, size: int, token: str
    ) -> paging.Page[Ticket]:
        query = paging.query_hash("tickets", principal.subject, order_id)
        limit = paging.page_size(size, default=50, maximum=200)
        after = paging.decode(token, query)
        tickets = await self._tickets.tickets_for(principal.subject, order_id, after, limit + 1)
        return paging.cut(tickets, limit, lambda t: Cursor(t.issued_at, t.id), query)

    async def ticket(self, principal: Principal, ticket_id: UUID) -> Ticket:
        ticket = await self._tickets.ticket(ticket_id)
        if ticket is None or not principal.can_manage(ticket.customer):
            raise DomainError(
                ErrorCode.TICKET_NOT_FOUND, "no such ticket", metadata={"ticket": f"tickets/{ticket_id}"}
            )
        return ticket
