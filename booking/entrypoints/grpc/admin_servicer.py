"""AdminService: refunds of any order and the audit log."""

from __future__ import annotations

from typing import Any

from apextick.admin.v1 import admin_service_pb2 as asv
from apextick.admin.v1 import admin_service_pb2_grpc as asv_grpc

from apextick_platform import call_context
from apextick_platform.proto_time import stamp
from booking.entrypoints.grpc import names
from booking.entrypoints.grpc.order_mapping import order_message
from booking.service_layer.payment_ports import AuditEntry
from booking.service_layer.refund_use_cases import RefundUseCases

Context = Any


def entry_message(entry: AuditEntry) -> asv.AuditEntry:
    return asv.AuditEntry(
        actor=entry.actor, action=entry.action, target=entry.target, request_id=entry.request_id,
        detail=entry.detail, time=stamp(entry.at),
    )  # fmt: skip


class AdminServicer(asv_grpc.AdminServiceServicer):
    def __init__(self, refunds: RefundUseCases) -> None:
        self._refunds = refunds

    async def AdminRefundOrder(
        self, request: asv.AdminRefundOrderRequest, context: Context
    ) -> asv.AdminRefundOrderResponse:
        order = await self._refunds.admin_refund(
            call_context.signed_in(), names.order_id(request.name), request.request_id
        )
        return asv.AdminRefundOrderResponse(order=order_message(order))

    async def ListAuditEntries(
        self, request: asv.ListAuditEntriesRequest, context: Context
    ) -> asv.ListAuditEntriesResponse:
        page = await self._refunds.audit_entries(request.page_size, request.page_token)
        entries = [entry_message(e) for e in page.items]
        return asv.ListAuditEntriesResponse(entries=entries, next_page_token=page.next_page_token)
