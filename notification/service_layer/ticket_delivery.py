"""Handling the booking service's order events: record, render, send, each step idempotent.

Exactly once (I5), step by step, for one OrderConfirmed:
1. One transaction records the event id, the order and its tickets, and the delivery PENDING with the
   email it will send. A redelivery finds the event id and records nothing new.
2. Each ticket without a stored PDF is rendered, stored under a key derived from its ids, and marked
   stored. A redelivery renders only what a crash left unrendered.
3. In one transaction holding the delivery's row lock (so two consumers never send it together): if it
   is still PENDING, hand the email to the mail server, mark it SENT, commit.
4. The consumer acks the message only after that commit.
A crash after 3's commit and before the ack makes the broker redeliver; step 3 then finds SENT and
sends nothing. What remains is the window inside step 3 between the mail server's "250 accepted" and
our COMMIT (a few milliseconds): a crash exactly there sends the email again on redelivery, with the
same Message-ID, so the buyer's client shows one conversation. SMTP offers no idempotency key that
would close it; losing a ticket email would be worse than that duplicate.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from uuid import UUID

from notification.domain.delivery import Delivery, DeliveryKind, DeliveryState, delivery_id
from notification.domain.mail_content import refund_mail, tickets_mail
from notification.domain.tickets import OrderTickets, RefundNotice
from notification.service_layer.ports import (
    Attachment,
    Mailer,
    MailRejectedError,
    OutgoingMail,
    PdfStorage,
    QueuedMail,
    StoredOrder,
    StoredTicket,
    TicketRenderer,
    TransientError,
    UnitOfWork,
    UnitOfWorkFactory,
)

log = logging.getLogger(__name__)

CAUSED_AT_HEADER = "X-ApexTick-Caused-At"  # when the event committed: the latency benchmark's start


def pdf_key(order_id: str, ticket_id: str) -> str:
    """Deterministic, so a re-render after a crash overwrites instead of adding a second file."""
    return f"{order_id}/{ticket_id}.pdf"


def tickets_queued(
    mail_id: UUID,
    kind: DeliveryKind,
    order: StoredOrder,
    tickets: Sequence[StoredTicket],
    now: datetime,
    caused_at: datetime,
) -> QueuedMail:
    """A tickets email (first or resent) with one PDF per valid ticket, composed from what is recorded."""
    live = [t for t in tickets if not t.void]
    delivery = Delivery(
        mail_id, order.order_id, kind, DeliveryState.PENDING, order.buyer.email, len(live), now, caused_at
    )
    content = tickets_mail(order.with_tickets(live), resend=kind is DeliveryKind.RESEND)
    files = tuple(
        Attachment(pdf_key(t.order_id, t.line.ticket_id), f"{order.reference}-{t.line.seat_id}.pdf")
        for t in live
    )
    return QueuedMail(delivery, content, files)


class TicketDelivery:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        renderer: TicketRenderer,
        storage: PdfStorage,
        mailer: Mailer,
        clock: Callable[[], datetime],
    ) -> None:
        self._uow = uow
        self._renderer = renderer
        self._storage = storage
        self._mailer = mailer
        self._clock = clock

    def order_confirmed(self, event_id: str, caused_at: datetime, order: OrderTickets) -> Delivery | None:
        """Returns the tickets delivery, or None when the order was refunded before it was confirmed
        (its tickets are void from the start and no ticket email goes out)."""
        mail_id = delivery_id(DeliveryKind.TICKETS, event_id)
        with self._uow() as tx:
            if tx.record_event(event_id, "OrderConfirmed", self._clock()):
                # A refund may have overtaken this confirmation (or commit while we write): the store
                # keeps its refund and voids the tickets, and then no ticket email is queued.
                tx.save_order(order, at=self._clock())
                stored = tx.order(order.order_id)
                if stored is not None and not stored.refunded:
                    tickets = tx.tickets(order.order_id)
                    queued = tickets_queued(
                        mail_id, DeliveryKind.TICKETS, stored, tickets, self._clock(), caused_at
                    )
                    tx.add_delivery(queued)
            tx.commit()
        self.render_missing(order.order_id)
        return self.send(mail_id)

    def order_refunded(self, event_id: str, caused_at: datetime, notice: RefundNotice) -> Delivery | None:
        mail_id = delivery_id(DeliveryKind.REFUND_NOTICE, event_id)
        with self._uow() as tx:
            if tx.record_event(event_id, "OrderRefunded", self._clock()):
                tx.mark_refunded(notice, self._clock())
                voided = set(notice.voided_ticket_ids)
                lines = [t.line for t in tx.tickets(notice.order_id) if t.line.ticket_id in voided]
                now = self._clock()
                delivery = Delivery(
                    mail_id,
                    notice.order_id,
                    DeliveryKind.REFUND_NOTICE,
                    DeliveryState.PENDING,
                    notice.buyer.email,
                    0,
                    now,
                    caused_at,
                )
                tx.add_delivery(QueuedMail(delivery, refund_mail(notice, lines)))
            tx.commit()
        return self.send(mail_id)

    def render_missing(self, order_id: str) -> int:
        """Render and store every valid ticket of the order that has no stored PDF yet; returns how
        many. A rendering error propagates: the message that asked for it is at fault."""
        with self._uow() as tx:
            stored = tx.order(order_id)
            tickets = tx.tickets(order_id)
        missing = [t for t in tickets if t.pdf_key is None and not t.void]
        if stored is None or not missing:
            return 0
        documents = {d.ticket.ticket_id: d for d in stored.with_tickets(missing).documents()}
        for ticket in missing:
            key = pdf_key(order_id, ticket.line.ticket_id)
            self._storage.put(key, self._renderer.render(documents[ticket.line.ticket_id]))
            with self._uow() as tx:
                tx.set_pdf(ticket.line.ticket_id, key, self._clock())
                tx.commit()
        return len(missing)

    def send(self, mail_id: UUID) -> Delivery | None:
        """Send a PENDING delivery once; a final one is returned as it is. The mail goes out while
        this transaction holds the delivery's row lock, so a second consumer handed the same message
        (after a connection loss) waits here and then finds it SENT."""
        with self._uow() as tx:
            queued = tx.delivery(mail_id, lock=True)
            if queued is None or queued.delivery.is_final:
                return None if queued is None else queued.delivery
            done = self._settle(tx, queued)
            tx.update_delivery(done)
            tx.commit()
        log.info(
            "delivery settled",
            extra={"delivery": str(mail_id), "kind": done.kind.value, "state": done.state.value},
        )
        return done

    def _settle(self, tx: UnitOfWork, queued: QueuedMail) -> Delivery:
        delivery = queued.delivery
        if delivery.kind is not DeliveryKind.REFUND_NOTICE:
            order = tx.order(delivery.order_id)
            if order is not None and order.refunded:
                # Refunded while this email waited (the mail server was down, say): void tickets must
                # not reach the buyer looking valid. The refund notice tells them instead.
                return delivery.failed("the order was refunded before its tickets went out")
        try:
            self._mailer.send(self._outgoing(queued))
        except MailRejectedError as exc:
            log.warning(
                "mail server refused a delivery", extra={"delivery": str(delivery.id), "error": str(exc)}
            )
            return delivery.failed(str(exc))
        return delivery.sent(self._clock())

    def _outgoing(self, queued: QueuedMail) -> OutgoingMail:
        files = []
        for attachment in queued.attachments:
            data = self._storage.get(attachment.key)
            if data is None:
                # Every send path renders first, so a missing file is storage trouble, not the fault
                # of the message being handled.
                raise TransientError(f"ticket PDF {attachment.key} is missing from storage")
            files.append((attachment.filename, data))
        delivery = queued.delivery
        return OutgoingMail(
            delivery.message_id,
            delivery.recipient,
            queued.content,
            files,
            {CAUSED_AT_HEADER: delivery.caused_at.isoformat(), "X-ApexTick-Order": delivery.order_id},
        )

    def send_pending(self, grace: timedelta, limit: int = 20) -> int:
        """Send the resends the gRPC server queued (older than `grace`, so a resend being sent right
        now is not raced). Event-driven deliveries are left to their bus message, which retries or
        dead-letters them. Returns how many went out."""
        with self._uow() as tx:
            due = tx.pending([DeliveryKind.RESEND], self._clock() - grace, limit)
        sent = 0
        for mail_id in due:
            with self._uow() as tx:
                queued = tx.delivery(mail_id)
            if queued is None:
                continue
            try:
                self.render_missing(queued.delivery.order_id)
                done = self.send(mail_id)
            except TransientError:
                raise
            except Exception as exc:
                log.exception("resend failed for good", extra={"delivery": str(mail_id)})
                self._fail(mail_id, repr(exc))
                continue
            sent += done is not None and done.state is DeliveryState.SENT
        return sent

    def _fail(self, mail_id: UUID, error: str) -> None:
        with self._uow() as tx:
            queued = tx.delivery(mail_id, lock=True)
            if queued is not None and not queued.delivery.is_final:
                tx.update_delivery(queued.delivery.failed(error))
            tx.commit()
