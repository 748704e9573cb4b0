"""What a signed-in caller may do with their tickets: download a PDF, list an order's emails, have the
tickets emailed again. Someone else's ticket or order answers NOT_FOUND, never PERMISSION_DENIED, so
that ids cannot be probed for existence (I7)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from apextick_platform.errors import DomainError, ErrorCode
from apextick_platform.identity import Principal
from notification.domain.delivery import Delivery, DeliveryKind, delivery_id
from notification.domain.resend_policy import ResendPolicy
from notification.service_layer.ports import PdfStorage, StoredOrder, UnitOfWork, UnitOfWorkFactory
from notification.service_layer.ticket_delivery import tickets_queued


def _ticket_not_found(ticket_id: str) -> DomainError:
    return DomainError(
        ErrorCode.TICKET_NOT_FOUND, f"ticket {ticket_id} not found", metadata={"ticket": ticket_id}
    )


def _order_not_found(order_id: str) -> DomainError:
    return DomainError(ErrorCode.ORDER_NOT_FOUND, f"order {order_id} not found", metadata={"order": order_id})


class TicketAccess:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        storage: PdfStorage,
        clock: Callable[[], datetime],
        resend_policy: ResendPolicy,
    ) -> None:
        self._uow = uow
        self._storage = storage
        self._clock = clock
        self._policy = resend_policy

    def ticket_pdf(self, caller: Principal, ticket_id: str) -> bytes:
        """A void ticket's PDF is no longer served to its holder (it would look valid); admins still
        read it, for support."""
        with self._uow() as tx:
            ticket = tx.ticket(ticket_id)
        if ticket is None or not caller.can_manage(ticket.owner) or (ticket.void and not caller.is_admin):
            raise _ticket_not_found(ticket_id)
        data = self._storage.get(ticket.pdf_key) if ticket.pdf_key else None
        if data is None:
            raise DomainError(
                ErrorCode.TICKET_PDF_NOT_READY,
                "the ticket's PDF is being prepared; try again shortly",
                metadata={"ticket": ticket_id, "retry_after_seconds": "2"},
            )
        return data

    def deliveries(self, caller: Principal, order_id: str) -> list[Delivery]:
        with self._uow() as tx:
            self._owned(tx, caller, order_id)
            return tx.deliveries(order_id)

    def resend(self, caller: Principal, order_id: str, request_id: str) -> Delivery:
        """Queue the tickets email again (the consumer process sends it within a second or two). The
        same request_id answers the same delivery, and does not count against the limit twice."""
        mail_id = delivery_id(DeliveryKind.RESEND, f"{order_id}/{request_id}")
        with self._uow() as tx:
            order = self._owned(tx, caller, order_id, lock=True)  # the lock makes the limit race-free
            existing = tx.delivery(mail_id)
            if existing is not None:
                return existing.delivery
            tickets = [t for t in tx.tickets(order_id) if not t.void]
            if order.refunded or not tickets:
                raise DomainError(
                    ErrorCode.TICKET_NOT_FOUND,
                    "the order has no valid tickets to send",
                    metadata={"order": order_id},
                )
            now = self._clock()
            self._policy.check(tx.resend_times(order_id), now)
            queued = tickets_queued(mail_id, DeliveryKind.RESEND, order, tickets, now, now)
            tx.add_delivery(queued)
            tx.commit()
            return queued.delivery

    @staticmethod
    def _owned(tx: UnitOfWork, caller: Principal, order_id: str, *, lock: bool = False) -> StoredOrder:
        order = tx.order(order_id, lock=lock)
        if order is None or not caller.can_manage(order.owner):
            raise _order_not_found(order_id)
        return order
