"""Refunds people decide on, through the real booking server and the recording Stripe proxy: an admin
refund sent 5 times at once is one provider refund and one audit entry; organizers refund only their
own events' orders; unpaid and already refunded orders are refused with a reason."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest
from apextick.admin.v1 import admin_service_pb2 as asv
from apextick.catalog.v1 import catalog_service_pb2 as csv
from apextick.catalog.v1 import event_pb2
from apextick.orders.v1 import order_pb2
from apextick.orders.v1 import order_service_pb2 as osv
from google.protobuf.field_mask_pb2 import FieldMask

from tests.e2e.checkout_support import checkout
from tests.e2e.conftest import Identity
from tests.e2e.gate_support import Stack, sell_out
from tests.e2e.stripe_proxy import StripeProxy
from tests.e2e.support import rich_error, rid
from tests.e2e.test_gate_scans import stack

if TYPE_CHECKING:
    from apextick.admin.v1 import admin_service_pb2_grpc as asv_grpc

    Admin = asv_grpc.AdminServiceAsyncStub

pytestmark = pytest.mark.e2e
__all__ = ["stack"]


def provider_refunds(proxy: StripeProxy, order: str) -> int:
    return sum(c.idempotency_key == f"refund:{order.removeprefix('orders/')}" for c in proxy.refunds())


async def audit_of(admin: Admin, auth: tuple[tuple[str, str], ...], target: str) -> list[asv.AuditEntry]:
    entries = (
        await admin.ListAuditEntries(asv.ListAuditEntriesRequest(page_size=200), metadata=auth)
    ).entries
    return [e for e in entries if e.target == target]


async def test_an_admin_refund_sent_five_times_is_one_refund_and_one_audit_entry(
    stack: Stack, identity: Identity, admin: Admin, stripe_proxy: StripeProxy
) -> None:
    sold = await sell_out(stack, identity, "Refund desk", rows=1, per_row=3)
    order = sold.tickets[0].order
    support = identity.auth("admin")
    request = asv.AdminRefundOrderRequest(name=order, request_id=rid())
    answers = await asyncio.gather(*(admin.AdminRefundOrder(request, metadata=support) for _ in range(5)))
    assert {(a.order.state, a.order.refund_reason) for a in answers} == {
        (order_pb2.ORDER_STATE_REFUNDED, order_pb2.REFUND_REASON_ADMIN_REFUND)
    }
    assert provider_refunds(stripe_proxy, order) == 1
    [entry] = await audit_of(admin, support, order)
    assert (entry.action, entry.request_id) == ("AdminRefundOrder", request.request_id)
    again = asv.AdminRefundOrderRequest(name=order, request_id=rid())
    assert (
        await rich_error(admin.AdminRefundOrder(again, metadata=support))
    ).reason == "ORDER_ALREADY_REFUNDED"
    customer = identity.auth("customer")
    assert (await rich_error(admin.AdminRefundOrder(again, metadata=customer))).reason == "ROLE_REQUIRED"
    assert provider_refunds(stripe_proxy, order) == 1
    assert len(await audit_of(admin, support, order)) == 1


async def test_organizers_refund_their_own_orders_only_and_never_an_unpaid_one(
    stack: Stack, identity: Identity, admin: Admin, stripe_proxy: StripeProxy
) -> None:
    sold = await sell_out(stack, identity, "Own refunds", rows=1, per_row=3)
    order = sold.tickets[0].order
    request = osv.OrganizerRefundOrderRequest(name=order, request_id=rid())
    rival = identity.auth("organizer")
    assert (
        await rich_error(stack.orders.OrganizerRefundOrder(request, metadata=rival))
    ).reason == "ORDER_NOT_FOUND"
    assert provider_refunds(stripe_proxy, order) == 0
    refunded = (await stack.orders.OrganizerRefundOrder(request, metadata=sold.organizer)).order
    assert (refunded.state, refunded.refund_reason) == (
        order_pb2.ORDER_STATE_REFUNDED, order_pb2.REFUND_REASON_ORGANIZER_REFUND,
    )  # fmt: skip
    assert provider_refunds(stripe_proxy, order) == 1
    assert [e.action for e in await audit_of(admin, identity.auth("admin"), order)] == [
        "OrganizerRefundOrder"
    ]
    unpaid = await checkout(
        stack.inventory, stack.orders, identity.auth("customer"), sold.built.event.name, ("main-A-1",)
    )
    # The refund put the order's seats back on sale: another customer checks one out and never pays.
    late = osv.OrganizerRefundOrderRequest(name=unpaid.order.name, request_id=rid())
    assert (
        await rich_error(stack.orders.OrganizerRefundOrder(late, metadata=sold.organizer))
    ).reason == "ORDER_NOT_PAID"


async def test_customers_refund_their_own_orders_when_the_event_allows(
    stack: Stack, identity: Identity, stripe_proxy: StripeProxy
) -> None:
    sold = await sell_out(stack, identity, "Refundable night", rows=1, per_row=2)
    [buyer] = sold.buyers
    order = sold.tickets[0].order
    request = osv.RequestRefundRequest(name=order, request_id=rid())
    refused = await rich_error(stack.orders.RequestRefund(request, metadata=buyer))
    assert refused.reason == "REFUND_NOT_ALLOWED"
    policy = event_pb2.Event(name=sold.built.event.name, refund_policy=event_pb2.RefundPolicy(refundable=True,
                             until_hours_before_start=48))  # fmt: skip
    update = csv.UpdateEventRequest(
        event=policy, update_mask=FieldMask(paths=["refund_policy"]), request_id=rid()
    )
    updated = (await stack.catalog.UpdateEvent(update, metadata=sold.organizer)).event
    assert updated.refund_policy.until_hours_before_start == 48
    stranger = identity.auth("customer")
    assert (
        await rich_error(stack.orders.RequestRefund(request, metadata=stranger))
    ).reason == "ORDER_NOT_FOUND"
    answers = await asyncio.gather(*(stack.orders.RequestRefund(request, metadata=buyer) for _ in range(3)))
    assert {(a.order.state, a.order.refund_reason) for a in answers} == {
        (order_pb2.ORDER_STATE_REFUNDED, order_pb2.REFUND_REASON_CUSTOMER_REQUEST)
    }
    assert provider_refunds(stripe_proxy, order) == 1
