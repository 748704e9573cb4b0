"""`apextick-dev buy`: one demo purchase through the REST edge, playing both the customer (hold, checkout)
and the payment provider (a Stripe webhook signed with the local stack's webhook secret, exactly as
Stripe signs it). Local stack only: the real Stripe sends the webhook itself."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Any


class PurchaseError(RuntimeError):
    """A step of the demo purchase was refused; the message carries the edge's answer."""


@dataclass(frozen=True)
class Edge:
    rest: str
    token: str

    def call(
        self, method: str, path: str, body: object | None = None, headers: dict[str, str] | None = None
    ) -> Any:
        data = body if isinstance(body, bytes) else (json.dumps(body).encode() if body is not None else None)
        sent = {"content-type": "application/json", **(headers or {})}
        if self.token and "stripe-signature" not in sent:
            sent["authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.rest + path, data=data, method=method, headers=sent)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310 - the local edge
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            raise PurchaseError(
                f"{method} {path}: {error.code} {error.read().decode(errors='replace')}"
            ) from None


def stripe_signature(body: bytes, secret: str) -> str:
    timestamp = int(time.time())
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def _demo_event(edge: Edge) -> str:
    found = edge.call("GET", "/v1/events:search?query=Rosewood")
    events = found.get("events", [])
    if not events:
        raise PurchaseError("no demo event: run `apextick-dev seed` (make up does)")
    return str(events[0]["name"])


def _free_seats(edge: Edge, event: str, count: int) -> list[str]:
    seats = edge.call("GET", f"/v1/{event}/seats").get("seats", [])
    free = [s["seatId"] for s in seats if s.get("status") == "SEAT_STATUS_AVAILABLE"]
    if len(free) < count:
        raise PurchaseError("not enough free seats left in the demo event")
    return free[-count:]


def paid_event(order_id: str, session_id: str, total_minor: int, currency_code: str) -> bytes:
    """A `checkout.session.completed` event as Stripe sends it for a paid Checkout Session."""
    session = {
        "id": session_id,
        "object": "checkout.session",
        "client_reference_id": order_id,
        "metadata": {"order_id": order_id},
        "status": "complete",
        "payment_status": "paid",
        "payment_intent": f"pi_demo_{uuid.uuid4().hex[:16]}",
        "amount_total": total_minor,
        "currency": currency_code.lower(),
    }
    event = {"id": f"evt_demo_{uuid.uuid4().hex}", "object": "event", "type": "checkout.session.completed",
             "created": int(time.time()), "data": {"object": session}}  # fmt: skip
    return json.dumps(event).encode()


def buy(rest: str, token: str, webhook_secret: str, seats: int, event: str = "") -> dict[str, Any]:
    """Hold `seats` seats of the event (default: the demo event), check out with Stripe and pay; returns
    order and tickets."""
    edge = Edge(rest.rstrip("/"), token)
    event = event or _demo_event(edge)
    wanted = _free_seats(edge, event, seats)
    hold = edge.call("POST", f"/v1/{event}/holds", {"seatIds": wanted, "requestId": str(uuid.uuid4())})[
        "hold"
    ]
    checkout = {"provider": "PAYMENT_PROVIDER_STRIPE", "requestId": str(uuid.uuid4())}
    order = edge.call("POST", f"/v1/{hold['name']}:checkout", checkout)["order"]
    order_id = order["name"].removeprefix("orders/")
    session_id = order["paymentSession"]["sessionId"]
    body = paid_event(order_id, session_id, int(order["totalMinor"]), order["currencyCode"])
    provider = Edge(edge.rest, "")
    provider.call(
        "POST", "/v1/webhooks/stripe", body, {"stripe-signature": stripe_signature(body, webhook_secret)}
    )
    paid = edge.call("GET", f"/v1/{order['name']}")["order"]
    tickets = edge.call("GET", f"/v1/tickets?order={order['name']}").get("tickets", [])
    return {"order": paid, "tickets": tickets}
