"""The ports the notification use cases need: small, named by role, implemented in adapters/."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol
from uuid import UUID

from notification.domain.delivery import Delivery, DeliveryKind
from notification.domain.mail_content import MailContent
from notification.domain.tickets import (
    Buyer,
    EventInfo,
    OrderTickets,
    RefundNotice,
    TicketDocument,
    TicketLine,
)


class TransientError(Exception):
    """The infrastructure is in trouble (mail server or database unreachable, a 4xx from SMTP): wait
    and try the same work again. The message being handled is not at fault, so this never counts
    toward its delivery limit."""


class MailRejectedError(Exception):
    """The mail server refused the message for good (a 5xx): sending it again cannot help."""


@dataclass(frozen=True)
class Attachment:
    key: str  # where the storage port keeps it
    filename: str  # what the buyer sees


@dataclass(frozen=True)
class StoredTicket:
    line: TicketLine
    order_id: str
    owner: str
    pdf_key: str | None
    void: bool


@dataclass(frozen=True)
class StoredOrder:
    """An order as recorded: from its OrderConfirmed, or only from its OrderRefunded when it was
    refunded without ever being confirmed (then it has no tickets)."""

    order_id: str
    reference: str
    buyer: Buyer
    event: EventInfo
    total_minor: int
    currency_code: str
    confirmed: bool
    refunded: bool

    @property
    def owner(self) -> str:
        return self.buyer.subject

    def with_tickets(self, tickets: Sequence[StoredTicket]) -> OrderTickets:
        lines = tuple(t.line for t in tickets if not t.void)
        return OrderTickets(
            self.order_id, self.reference, self.buyer, self.event, lines, self.total_minor, self.currency_code
        )


@dataclass(frozen=True)
class QueuedMail:
    """A delivery with what it sends: composed once when it is recorded, sent as recorded."""

    delivery: Delivery
    content: MailContent
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class OutgoingMail:
    message_id: str
    recipient: str
    content: MailContent
    attachments: Sequence[tuple[str, bytes]] = ()  # filename, PDF
    headers: dict[str, str] = field(default_factory=dict)


class DeliveryStore(Protocol):
    """Everything the service records, inside one transaction (see UnitOfWork)."""

    def record_event(self, event_id: str, type_name: str, at: datetime) -> bool:
        """True the first time an event id is seen, False on every later delivery of it."""

    def save_order(self, order: OrderTickets, *, at: datetime) -> None:
        """Record a confirmed order and its tickets; tickets of an order already refunded are void."""

    def order(self, order_id: str, *, lock: bool = False) -> StoredOrder | None: ...

    def mark_refunded(self, notice: RefundNotice, at: datetime) -> None:
        """Record the refund and void its tickets; records the order first if it was never confirmed."""

    def tickets(self, order_id: str) -> list[StoredTicket]: ...

    def ticket(self, ticket_id: str) -> StoredTicket | None: ...

    def set_pdf(self, ticket_id: str, key: str, at: datetime) -> None: ...

    def add_delivery(self, mail: QueuedMail) -> None:
        """Insert unless a delivery with the same id exists (its cause was handled before)."""

    def delivery(self, delivery_id: UUID, *, lock: bool = False) -> QueuedMail | None: ...

    def deliveries(self, order_id: str) -> list[Delivery]: ...

    def update_delivery(self, delivery: Delivery) -> None: ...

    def resend_times(self, order_id: str) -> list[datetime]: ...

    def pending(self, kinds: Sequence[DeliveryKind], created_before: datetime, limit: int) -> list[UUID]: ...


class UnitOfWork(DeliveryStore, AbstractContextManager["UnitOfWork"], Protocol):
    """One PostgreSQL transaction; leaving it without `commit()` rolls everything back."""

    def commit(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...


class TicketRenderer(Protocol):
    def render(self, document: TicketDocument) -> bytes:
        """One PDF page for one ticket."""


class PdfStorage(Protocol):
    def put(self, key: str, data: bytes) -> None:
        """Store atomically: a reader sees the whole file or none of it."""

    def get(self, key: str) -> bytes | None: ...


class Mailer(Protocol):
    def send(self, mail: OutgoingMail) -> None:
        """Hand the message to the mail server. Raises MailRejectedError or TransientError."""


@dataclass(frozen=True)
class DeadLetterInfo:
    """A parked message, as an admin inspects it."""

    message_id: str
    type: str
    routing_key: str
    reason: str
    death_count: int
    size_bytes: int


class DeadLetters(Protocol):
    """The consumer's dead-letter queue."""

    def peek(self, limit: int) -> Sequence[DeadLetterInfo]: ...
    def replay(self, only: frozenset[str] | None) -> int: ...
