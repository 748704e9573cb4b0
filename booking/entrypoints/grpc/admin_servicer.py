"""AdminService: users through the identity provider, every order, refunds of any order, and the
audit log."""

from __future__ import annotations

from typing import Any

from apextick.admin.v1 import admin_service_pb2 as asv
from apextick.admin.v1 import admin_service_pb2_grpc as asv_grpc

from apextick_platform import call_context
from apextick_platform.identity import Role
from apextick_platform.proto_time import stamp
from booking.domain.user import UserAccount
from booking.entrypoints.grpc import names
from booking.entrypoints.grpc.order_mapping import order_message, order_query
from booking.service_layer.order_use_cases import OrderUseCases
from booking.service_layer.payment_ports import AuditEntry
from booking.service_layer.refund_use_cases import RefundUseCases
from booking.service_layer.user_admin_use_cases import UserAdminUseCases

Context = Any


def entry_message(entry: AuditEntry) -> asv.AuditEntry:
    return asv.AuditEntry(
        actor=entry.actor, action=entry.action, target=entry.target, request_id=entry.request_id,
        detail=entry.detail, time=stamp(entry.at),
    )  # fmt: skip


def user_message(user: UserAccount) -> asv.User:
    return asv.User(
        name=user.name, username=user.username, email=user.email, email_verified=user.email_verified,
        first_name=user.first_name, last_name=user.last_name, enabled=user.enabled,
        roles=sorted(role.value for role in user.roles), create_time=stamp(user.created_at),
    )  # fmt: skip


def role_of(value: asv.GrantableRole.ValueType) -> Role:
    """The contract's GrantableRole (validated as defined and set) to the realm role it names."""
    return Role(asv.GrantableRole.Name(value).removeprefix("GRANTABLE_ROLE_").lower())


class AdminServicer(asv_grpc.AdminServiceServicer):
    def __init__(self, refunds: RefundUseCases, users: UserAdminUseCases, orders: OrderUseCases) -> None:
        self._refunds = refunds
        self._users = users
        self._orders = orders

    async def ListUsers(self, request: asv.ListUsersRequest, context: Context) -> asv.ListUsersResponse:
        page = await self._users.list_users(request.query, request.page_size, request.page_token)
        users = [user_message(u) for u in page.items]
        return asv.ListUsersResponse(users=users, next_page_token=page.next_page_token)

    async def GetUser(self, request: asv.GetUserRequest, context: Context) -> asv.GetUserResponse:
        return asv.GetUserResponse(user=user_message(await self._users.get(names.user_id(request.name))))

    async def SetUserEnabled(
        self, request: asv.SetUserEnabledRequest, context: Context
    ) -> asv.SetUserEnabledResponse:
        user = await self._users.set_enabled(
            call_context.signed_in(), names.user_id(request.name), request.request_id, enabled=request.enabled
        )
        return asv.SetUserEnabledResponse(user=user_message(user))

    async def GrantRole(self, request: asv.GrantRoleRequest, context: Context) -> asv.GrantRoleResponse:
        user = await self._users.grant(
            call_context.signed_in(), names.user_id(request.name), role_of(request.role), request.request_id
        )
        return asv.GrantRoleResponse(user=user_message(user))

    async def RevokeRole(self, request: asv.RevokeRoleRequest, context: Context) -> asv.RevokeRoleResponse:
        user = await self._users.revoke(
            call_context.signed_in(), names.user_id(request.name), role_of(request.role), request.request_id
        )
        return asv.RevokeRoleResponse(user=user_message(user))

    async def SearchOrders(
        self, request: asv.SearchOrdersRequest, context: Context
    ) -> asv.SearchOrdersResponse:
        event = names.event_id(request.event, "event") if request.event else None
        query = order_query(request.query, request.state, event)
        page = await self._orders.search(query, request.page_size, request.page_token)
        orders = [order_message(o) for o in page.items]
        return asv.SearchOrdersResponse(orders=orders, next_page_token=page.next_page_token)

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
