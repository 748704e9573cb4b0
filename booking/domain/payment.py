"""Payments as the domain sees them: sessions opened at a provider and verified notices coming back.

Providers differ in how they prove a notice genuine (a signature, a hash, a status API); by the time a
notice reaches the domain it has been verified by its adapter and says only what happened."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from uuid import UUID


class Provider(StrEnum):
    STRIPE = "STRIPE"
    PAYHERE = "PAYHERE"
    ONEPAY = "ONEPAY"


@dataclass(frozen=True)
class SessionRequest:
    """What a provider needs to take one order's payment. The order id makes every provider call
    idempotent (Stripe's idempotency key, PayHere's and Onepay's order reference)."""

    order_id: UUID
    reference: str
    amount_minor: int
    currency_code: str
    description: str
    customer_email: str
    customer_name: str
    expires_at: datetime
    success_url: str
    cancel_url: str


@dataclass(frozen=True)
class PaymentSession:
    provider: Provider
    session_id: str
    redirect_url: str
    expires_at: datetime
    form_fields: Mapping[str, str] = field(default_factory=dict)


class NoticeKind(StrEnum):
    PAID = "PAID"  # the money was captured
    REFUNDED = "REFUNDED"  # the money went back (refund or chargeback at the provider)
    CLOSED = "CLOSED"  # the session ended without a payment
    INFORMATIONAL = "INFORMATIONAL"  # genuine, but nothing for an order to do (pending, failed try)


@dataclass(frozen=True)
class PaymentNotice:
    """A verified statement from a provider. `event_id` is unique per provider and is what makes a
    redelivered webhook a no-op; `order_id` is None when the notice names no order of ours."""

    provider: Provider
    event_id: str
    kind: NoticeKind
    order_id: UUID | None
    session_id: str = ""
    payment_ref: str = ""  # the provider's id of the captured payment, needed to refund it
    amount_minor: int | None = None
    currency_code: str = ""


class RemoteState(StrEnum):
    PAID = "PAID"
    OPEN = "OPEN"  # still payable
    CLOSED = "CLOSED"  # expired, cancelled or failed: it will never be paid


@dataclass(frozen=True)
class RemotePayment:
    """What a provider's API says about an order's session, for reconciliation."""

    state: RemoteState
    payment_ref: str = ""
    amount_minor: int | None = None
    currency_code: str = ""
