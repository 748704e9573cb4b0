"""Provider-side helpers for the payment tests: stripe-mock as a process, and webhooks built and
signed here with each provider's documented scheme (so the service's verifiers are checked against an
independent implementation)."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from apextick.orders.v1 import order_pb2

from tests.e2e.edge_support import free_port

ROOT = Path(__file__).resolve().parents[2]
STRIPE_MOCK = ROOT / "var" / "bin" / "stripe-mock"
STRIPE_WEBHOOK_SECRET = "whsec_" + uuid.uuid4().hex
PAYHERE_MERCHANT_ID = "1221149"
PAYHERE_SECRET = "payhere-test-" + uuid.uuid4().hex
TICKET_SECRET = "ticket-signing-" + uuid.uuid4().hex
QUEUE_PASS_SECRET = "queue-pass-" + uuid.uuid4().hex


@contextmanager
def running_stripe_mock() -> Iterator[str]:
    if not STRIPE_MOCK.exists():
        raise AssertionError(f"{STRIPE_MOCK} is missing: scripts/install.sh builds it (make test runs it)")
    port = free_port()
    command = [str(STRIPE_MOCK), "-http-port", str(port), "-https-port", str(free_port())]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError("stripe-mock did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)


def order_uuid(order: order_pb2.Order) -> str:
    return order.name.removeprefix("orders/")


def stripe_event(kind: str, obj: dict[str, Any], event_id: str | None = None) -> bytes:
    event = {
        "id": event_id or f"evt_{uuid.uuid4().hex}",
        "object": "event",
        "type": kind,
        "created": int(time.time()),
        "data": {"object": obj},
    }
    return json.dumps(event).encode()


def stripe_signature(body: bytes, secret: str = STRIPE_WEBHOOK_SECRET, at: int | None = None) -> str:
    """Stripe's documented v1 scheme: HMAC-SHA256 of `{t}.{body}` with the endpoint secret."""
    timestamp = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def session_completed(order: order_pb2.Order, intent: str, amount: int | None = None) -> dict[str, Any]:
    return {
        "id": order.payment_session.session_id,
        "object": "checkout.session",
        "client_reference_id": order_uuid(order),
        "metadata": {"order_id": order_uuid(order)},
        "status": "complete",
        "payment_status": "paid",
        "payment_intent": intent,
        "amount_total": order.total_minor if amount is None else amount,
        "currency": order.currency_code.lower(),
    }


def intent_succeeded(order: order_pb2.Order, intent: str) -> dict[str, Any]:
    return {
        "id": intent,
        "object": "payment_intent",
        "metadata": {"order_id": order_uuid(order)},
        "status": "succeeded",
        "amount_received": order.total_minor,
        "currency": order.currency_code.lower(),
    }


def charge_refunded(order: order_pb2.Order, intent: str) -> dict[str, Any]:
    return {
        "id": f"ch_{uuid.uuid4().hex[:20]}",
        "object": "charge",
        "metadata": {"order_id": order_uuid(order)},
        "payment_intent": intent,
        "refunded": True,
        "amount_refunded": order.total_minor,
        "currency": order.currency_code.lower(),
    }


def _md5_upper(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest().upper()


def payhere_notify(
    order: order_pb2.Order, amount: str, status: str = "2", currency: str | None = None
) -> bytes:
    """PayHere's notify_url form post with its documented md5sig."""
    currency = currency or order.currency_code
    order_id = order_uuid(order)
    signature = _md5_upper(
        PAYHERE_MERCHANT_ID + order_id + amount + currency + status + _md5_upper(PAYHERE_SECRET)
    )
    fields = {
        "merchant_id": PAYHERE_MERCHANT_ID,
        "order_id": order_id,
        "payment_id": str(320025000000 + uuid.uuid4().int % 100000),
        "payhere_amount": amount,
        "payhere_currency": currency,
        "status_code": status,
        "md5sig": signature,
        "method": "VISA",
        "status_message": "Successfully completed the payment.",
    }
    return urlencode(fields).encode()
