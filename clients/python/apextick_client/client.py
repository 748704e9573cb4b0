"""A small ApexTick client that speaks either native gRPC or REST through the edge, with the same
methods and the same typed errors either way."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Sequence
from typing import Any

import grpc
from apextick.admin.v1 import admin_service_pb2 as asv
from apextick.admin.v1 import admin_service_pb2_grpc as admin_grpc
from apextick.catalog.v1 import catalog_service_pb2 as cat
from apextick.catalog.v1 import catalog_service_pb2_grpc as cat_grpc
from apextick.inventory.v1 import inventory_service_pb2 as inv
from apextick.inventory.v1 import inventory_service_pb2_grpc as inv_grpc
from apextick.orders.v1 import order_pb2
from apextick.orders.v1 import order_service_pb2 as osv
from apextick.orders.v1 import order_service_pb2_grpc as order_grpc
from apextick.sales.v1 import sales_service_pb2 as ssv
from apextick.sales.v1 import sales_service_pb2_grpc as sales_grpc
from apextick.tickets.v1 import ticket_service_pb2 as tsv
from apextick.tickets.v1 import ticket_service_pb2_grpc as ticket_grpc
from apextick.waitingroom.v1 import waiting_room_service_pb2 as wsv
from apextick.waitingroom.v1 import waiting_room_service_pb2_grpc as waiting_grpc
from google.protobuf import json_format
from google.protobuf.message import Message

from apextick_client.errors import ApexTickError, from_rpc_error

# HTTP status of the edge's JSON errors back to gRPC codes (the edge maps them the other way).
_CODE_BY_HTTP = {400: grpc.StatusCode.INVALID_ARGUMENT, 401: grpc.StatusCode.UNAUTHENTICATED,
                 403: grpc.StatusCode.PERMISSION_DENIED, 404: grpc.StatusCode.NOT_FOUND,
                 409: grpc.StatusCode.ABORTED, 429: grpc.StatusCode.RESOURCE_EXHAUSTED,
                 503: grpc.StatusCode.UNAVAILABLE}  # fmt: skip


class ApexTick:
    def __init__(self, *, grpc_target: str = "", rest_url: str = "", token: str = "") -> None:
        if bool(grpc_target) == bool(rest_url):
            raise ValueError("give exactly one of grpc_target and rest_url")
        self._rest = rest_url.rstrip("/")
        self._token = token
        self._channel = grpc.insecure_channel(grpc_target) if grpc_target else None

    def close(self) -> None:
        if self._channel is not None:
            self._channel.close()

    def search_events(self, query: str) -> list[dict[str, Any]]:
        if self._channel is None:
            return list(self._http("GET", f"/v1/events:search?query={urllib.parse.quote(query)}")["events"])
        reply = self._grpc(
            cat_grpc.CatalogServiceStub(self._channel).SearchEvents, cat.SearchEventsRequest(query=query)
        )
        return [json_format.MessageToDict(e) for e in reply.events]

    def hold_seats(
        self, event: str, seat_ids: Sequence[str], request_id: str | None = None
    ) -> dict[str, Any]:
        request_id = request_id or str(uuid.uuid4())
        if self._channel is None:
            body = {"seatIds": list(seat_ids), "requestId": request_id}
            return dict(self._http("POST", f"/v1/{event}/holds", body)["hold"])
        request = inv.HoldSeatsRequest(event=event, seat_ids=list(seat_ids), request_id=request_id)
        reply = self._grpc(inv_grpc.InventoryServiceStub(self._channel).HoldSeats, request)
        return json_format.MessageToDict(reply.hold)

    def release_hold(self, hold: str) -> dict[str, Any]:
        request_id = str(uuid.uuid4())
        if self._channel is None:
            return dict(self._http("POST", f"/v1/{hold}:release", {"requestId": request_id})["hold"])
        request = inv.ReleaseHoldRequest(name=hold, request_id=request_id)
        reply = self._grpc(inv_grpc.InventoryServiceStub(self._channel).ReleaseHold, request)
        return json_format.MessageToDict(reply.hold)

    def checkout(self, hold: str, provider: str = "STRIPE", request_id: str | None = None) -> dict[str, Any]:
        """The order of a hold with its payment session (`paymentSession.redirectUrl` is where the
        customer pays). Payment is confirmed by the provider's webhook, never by this call."""
        request = osv.CheckoutRequest(
            hold=hold,
            provider=order_pb2.PaymentProvider.Value(f"PAYMENT_PROVIDER_{provider.upper()}"),
            request_id=request_id or str(uuid.uuid4()),
        )
        return self._order_call("POST", f"/v1/{hold}:checkout", request, "Checkout")

    def get_order(self, order: str) -> dict[str, Any]:
        return self._order_call("GET", f"/v1/{order}", osv.GetOrderRequest(name=order), "GetOrder")

    def cancel_order(self, order: str, request_id: str | None = None) -> dict[str, Any]:
        request = osv.CancelOrderRequest(name=order, request_id=request_id or str(uuid.uuid4()))
        return self._order_call("POST", f"/v1/{order}:cancel", request, "CancelOrder")

    def list_orders(self) -> list[dict[str, Any]]:
        """The caller's orders, newest first (the first page)."""
        if self._channel is None:
            return list(self._http("GET", "/v1/orders").get("orders", []))
        reply = self._grpc(order_grpc.OrderServiceStub(self._channel).ListMyOrders, osv.ListMyOrdersRequest())
        return [json_format.MessageToDict(o) for o in reply.orders]

    def list_tickets(self, order: str = "") -> list[dict[str, Any]]:
        """The caller's tickets (of one order when given), each with its signed code and PDF link."""
        if self._channel is None:
            query = f"?order={urllib.parse.quote(order)}" if order else ""
            return list(self._http("GET", f"/v1/tickets{query}").get("tickets", []))
        stub = ticket_grpc.TicketServiceStub(self._channel)
        reply = self._grpc(stub.ListMyTickets, tsv.ListMyTicketsRequest(order=order))
        return [json_format.MessageToDict(t) for t in reply.tickets]

    # ---------------------------------------------------------------- the waiting room (public data)

    def queue(self, event: str) -> dict[str, Any]:
        """An event's queue: settings, the commitment and, after the open, the revealed seed."""
        request = wsv.GetQueueRequest(event=event)
        return dict(
            self._unary(
                waiting_grpc.WaitingRoomServiceStub, "GetQueue", request, "GET", f"/v1/{event}/queue"
            )["queue"]
        )

    def queue_entries(self, event: str) -> list[dict[str, Any]]:
        """Every published pre-queue entry (pseudonym and rank), all pages."""
        entries: list[dict[str, Any]] = []
        token = ""
        while True:
            request = wsv.ListQueueEntriesRequest(event=event, page_size=10_000, page_token=token)
            path = f"/v1/{event}/queue/entries?pageSize=10000&pageToken={urllib.parse.quote(token)}"
            reply = self._unary(waiting_grpc.WaitingRoomServiceStub, "ListQueueEntries", request, "GET", path)
            entries.extend(reply.get("entries", []))
            token = reply.get("nextPageToken", "")
            if not token:
                return entries

    # ---------------------------------------------------------------- organizers and admins

    def event_dashboard(self, event: str) -> dict[str, Any]:
        """An organizer's figures of their own event (revenue, sell-through, funnel, per minute)."""
        request = ssv.GetEventDashboardRequest(event=event)
        return self._unary(
            sales_grpc.SalesServiceStub, "GetEventDashboard", request, "GET", f"/v1/{event}/dashboard"
        )

    def event_orders(self, event: str, query: str = "") -> list[dict[str, Any]]:
        """The first page of an organizer's event's orders, searched by reference, name or email."""
        request = ssv.ListEventOrdersRequest(parent=event, query=query)
        path = f"/v1/{event}/orders?query={urllib.parse.quote(query)}"
        reply = self._unary(sales_grpc.SalesServiceStub, "ListEventOrders", request, "GET", path)
        return list(reply.get("orders", []))

    def search_orders(self, query: str = "", event: str = "") -> list[dict[str, Any]]:
        """Admins: the first page of every order matching `query` (of one event when given)."""
        request = asv.SearchOrdersRequest(query=query, event=event)
        path = f"/v1/orders:search?query={urllib.parse.quote(query)}&event={urllib.parse.quote(event)}"
        return list(
            self._unary(admin_grpc.AdminServiceStub, "SearchOrders", request, "GET", path).get("orders", [])
        )

    def admin_refund(self, order: str, request_id: str | None = None) -> dict[str, Any]:
        request = asv.AdminRefundOrderRequest(name=order, request_id=request_id or str(uuid.uuid4()))
        path = f"/v1/{order}:adminRefund"
        return dict(
            self._unary(admin_grpc.AdminServiceStub, "AdminRefundOrder", request, "POST", path)["order"]
        )

    def list_users(self, query: str = "") -> list[dict[str, Any]]:
        """Admins: the first page of the realm's users matching `query`."""
        request = asv.ListUsersRequest(query=query)
        path = f"/v1/users?query={urllib.parse.quote(query)}"
        return list(
            self._unary(admin_grpc.AdminServiceStub, "ListUsers", request, "GET", path).get("users", [])
        )

    def grant_role(self, user: str, role: str, request_id: str | None = None) -> dict[str, Any]:
        """Admins: `role` is "organizer" or "gate"; `user` is `users/{id}`."""
        request = asv.GrantRoleRequest(
            name=user, role=asv.GrantableRole.Value(f"GRANTABLE_ROLE_{role.upper()}"),
            request_id=request_id or str(uuid.uuid4()),
        )  # fmt: skip
        reply = self._unary(
            admin_grpc.AdminServiceStub, "GrantRole", request, "POST", f"/v1/{user}:grantRole"
        )
        return dict(reply["user"])

    def set_user_enabled(self, user: str, *, enabled: bool, request_id: str | None = None) -> dict[str, Any]:
        request = asv.SetUserEnabledRequest(
            name=user, enabled=enabled, request_id=request_id or str(uuid.uuid4())
        )
        reply = self._unary(
            admin_grpc.AdminServiceStub, "SetUserEnabled", request, "POST", f"/v1/{user}:setEnabled"
        )
        return dict(reply["user"])

    def _unary(self, stub: Any, method: str, request: Message, verb: str, path: str) -> dict[str, Any]:
        """One unary call as a JSON-shaped dict: over REST (a POST sends the request as its body; the
        path's own fields are ignored by the edge) or over gRPC with the service's stub."""
        if self._channel is None:
            body = json_format.MessageToDict(request) if verb == "POST" else None
            return self._http(verb, path, body)
        reply = self._grpc(getattr(stub(self._channel), method), request)
        return dict(json_format.MessageToDict(reply))

    def _order_call(self, verb: str, path: str, request: Message, method: str) -> dict[str, Any]:
        """One OrderService call answering `{order: ...}`, over REST (the request as the body, without
        the path's resource name) or gRPC."""
        if self._channel is None:
            body = json_format.MessageToDict(request) if verb == "POST" else None
            return dict(self._http(verb, path, body)["order"])
        reply = self._grpc(getattr(order_grpc.OrderServiceStub(self._channel), method), request)
        return json_format.MessageToDict(reply.order)

    def _metadata(self) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self._token}"),) if self._token else ()

    def _grpc(self, method: Any, request: Any) -> Any:
        try:
            return method(request, metadata=self._metadata(), timeout=15)
        except grpc.RpcError as error:
            raise from_rpc_error(error) from None

    def _http(self, verb: str, path: str, body: object | None = None) -> dict[str, Any]:
        headers = {"content-type": "application/json", **dict(self._metadata())}
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self._rest + path, data, headers, method=verb)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310 - configured URL
                reply: dict[str, Any] = json.load(response)
                return reply
        except urllib.error.HTTPError as error:
            raise _rest_error(error) from None


def _rest_error(error: urllib.error.HTTPError) -> ApexTickError:
    raw = error.read()
    code = _CODE_BY_HTTP.get(error.code, grpc.StatusCode.UNKNOWN)
    try:
        status = json.loads(raw)
    except ValueError:
        return ApexTickError(code, code.name, raw.decode(errors="replace"))
    info: dict[str, Any] = next(
        (d for d in status.get("details", []) if d.get("@type", "").endswith("ErrorInfo")), {}
    )
    return ApexTickError(
        code, info.get("reason", code.name), status.get("message", ""), info.get("metadata", {})
    )
