"""A delivery is one email about an order. Its id derives from what caused it, so that handling the
same cause twice (a redelivered event, a retried resend) finds the delivery it already made."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

# Fixed forever: changing it would give every redelivered event a new delivery, i.e. a second email.
_DELIVERY_NAMESPACE = uuid.UUID("6f1d3c52-7a4e-4c8b-9a51-2b0f8e3d7c41")
MESSAGE_ID_DOMAIN = "notification.apextick.dev"


class DeliveryKind(StrEnum):
    TICKETS = "TICKETS"
    RESEND = "RESEND"
    REFUND_NOTICE = "REFUND_NOTICE"


class DeliveryState(StrEnum):
    PENDING = "PENDING"
    SENT = "SENT"
    FAILED = "FAILED"


def delivery_id(kind: DeliveryKind, cause: str) -> uuid.UUID:
    """`cause` is the event id for event-driven mail, `<order>/<request_id>` for a resend."""
    return uuid.uuid5(_DELIVERY_NAMESPACE, f"{kind.value}:{cause}")


@dataclass(frozen=True)
class Delivery:
    id: uuid.UUID
    order_id: str
    kind: DeliveryKind
    state: DeliveryState
    recipient: str
    attachment_count: int
    created_at: datetime
    # When the event that caused it committed in the booking service: the start of the
    # commit-to-inbox latency the benchmark measures.
    caused_at: datetime
    sent_at: datetime | None = None
    error: str = ""

    @property
    def message_id(self) -> str:
        """The email's Message-ID: the same on every attempt, so a send repeated after a crash in the
        window between the mail server's acceptance and our commit is recognisable as the same email
        (mail clients thread or collapse it) instead of looking like a new one."""
        return f"<{self.id}@{MESSAGE_ID_DOMAIN}>"

    @property
    def is_final(self) -> bool:
        return self.state is not DeliveryState.PENDING

    def sent(self, at: datetime) -> Delivery:
        return replace(self, state=DeliveryState.SENT, sent_at=at, error="")

    def failed(self, error: str) -> Delivery:
        return replace(self, state=DeliveryState.FAILED, error=error[:500])
