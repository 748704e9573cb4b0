"""A local stand-in for Onepay's API, SANDBOX ONLY: what stripe-mock is for Stripe. It implements exactly the
endpoints the Onepay adapter calls (create a checkout link, transaction status, refund) with an in-memory
store, plus `POST /_sandbox/transactions/{id}/pay`, which plays the customer paying and returns the callback
body Onepay would send. Nothing under booking/ imports this module; the adapter reaches it only when
APEXTICK_ONEPAY_API_BASE points here (the local stack and the tests).

    python -m devstack.onepay_sandbox     serve on APEXTICK_HOST:APEXTICK_ONEPAY_SANDBOX_PORT (default 12113)
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import string
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

TRANSACTION_ID_ALPHABET = string.ascii_uppercase + string.digits
ONEPAY_ID_LENGTH = 21  # like Onepay's ids, e.g. WQBV118E584C83CBA50C6


@dataclass
class Transaction:
    transaction_id: str
    reference: str
    amount: str
    currency: str
    additional_data: str
    paid_on: str = ""
    refund_id: int | None = None


@dataclass(frozen=True)
class SandboxCredentials:
    app_id: str
    app_token: str
    hash_salt: str


STORE: web.AppKey[dict[str, Transaction]] = web.AppKey("transactions", dict)
CREDENTIALS: web.AppKey[SandboxCredentials] = web.AppKey("credentials", SandboxCredentials)


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"status": status, "message": message}, status=status)


async def _authorised_body(request: web.Request) -> dict[str, Any] | web.Response:
    credentials = request.app[CREDENTIALS]
    token = request.headers.get("Authorization", "")
    if not hmac.compare_digest(token.encode(), credentials.app_token.encode()):
        return _error(401, "Invalid authorization")
    try:
        body = await request.json()
    except ValueError:
        return _error(400, "Invalid request body")
    if not isinstance(body, dict) or body.get("app_id") != credentials.app_id:
        return _error(400, "Invalid app id")
    return body


async def create_link(request: web.Request) -> web.Response:
    body = await _authorised_body(request)
    if isinstance(body, web.Response):
        return body
    credentials = request.app[CREDENTIALS]
    amount, currency = str(body.get("amount", "")), str(body.get("currency", ""))
    signed = f"{credentials.app_id}{currency}{amount}{credentials.hash_salt}"
    expected = hashlib.sha256(signed.encode()).hexdigest()
    if not hmac.compare_digest(expected.encode(), str(body.get("hash", "")).encode()):
        return _error(401, "Invalid hash")
    if not body.get("reference") or currency not in {"LKR", "USD"}:
        return _error(400, "Invalid reference or currency")
    transaction_id = "".join(secrets.choice(TRANSACTION_ID_ALPHABET) for _ in range(ONEPAY_ID_LENGTH))
    request.app[STORE][transaction_id] = Transaction(
        transaction_id, str(body["reference"]), amount, currency, str(body.get("additionalData", ""))
    )
    redirect_url = str(request.url.with_path(f"/_sandbox/pay/{transaction_id}").with_query(None))
    data = {
        "ipg_transaction_id": transaction_id,
        "amount": {"gross_amount": amount, "currency": currency},
        "gateway": {"redirect_url": redirect_url},
    }
    return web.json_response({"status": 200, "message": "Successfully generate checkout link", "data": data})


def _lookup(request: web.Request, body: dict[str, Any]) -> Transaction | None:
    return request.app[STORE].get(str(body.get("onepay_transaction_id", "")))


async def transaction_status(request: web.Request) -> web.Response:
    body = await _authorised_body(request)
    if isinstance(body, web.Response):
        return body
    found = _lookup(request, body)
    if found is None:
        return _error(400, "Transaction not found")
    data = {
        "status": bool(found.paid_on),
        "ipg_transaction_id": found.transaction_id,
        "amount": found.amount,
        "currency": found.currency,
        "paid_on": found.paid_on or None,
    }
    return web.json_response({"status": 200, "message": "Transaction status", "data": data})


async def refund(request: web.Request) -> web.Response:
    body = await _authorised_body(request)
    if isinstance(body, web.Response):
        return body
    found = _lookup(request, body)
    if found is None or not found.paid_on:
        return _error(400, "Transaction not found")
    if not body.get("refund_reason"):
        return _error(400, "refund_reason: This field is required.")
    if found.refund_id is not None:
        return _error(400, "Refund already requested for this transaction")
    found.refund_id = len([t for t in request.app[STORE].values() if t.refund_id is not None]) + 1
    data = {
        "ipg_transaction_id": found.transaction_id,
        "refund_id": found.refund_id,
        "status": "refund-initiated",
        "is_partially": False,
        "requested_amount": found.amount,
        "refund_reason": body["refund_reason"],
    }
    return web.json_response(
        {"status": 200, "message": "Successfully initiated refund request", "data": data}
    )


async def sandbox_pay(request: web.Request) -> web.Response:
    """SANDBOX ONLY: the customer pays. Returns the callback body Onepay would post to the merchant."""
    found = request.app[STORE].get(request.match_info["transaction_id"])
    if found is None:
        return _error(404, "Transaction not found")
    found.paid_on = found.paid_on or datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    callback = {
        "transaction_id": found.transaction_id,
        "status": 1,
        "status_message": "SUCCESS",
        "additional_data": found.additional_data,
    }
    return web.json_response(callback)


def create_app(credentials: SandboxCredentials) -> web.Application:
    app = web.Application()
    app[CREDENTIALS] = credentials
    app[STORE] = {}
    app.router.add_post("/v3/checkout/link/", create_link)
    app.router.add_post("/v3/transaction/status/", transaction_status)
    app.router.add_post("/v3/transaction/refund/", refund)
    app.router.add_post("/_sandbox/transactions/{transaction_id}/pay", sandbox_pay)
    return app


def main() -> None:
    credentials = SandboxCredentials(
        app_id=os.environ["APEXTICK_ONEPAY_APP_ID"],
        app_token=os.environ["APEXTICK_ONEPAY_APP_TOKEN"],
        hash_salt=os.environ["APEXTICK_ONEPAY_HASH_SALT"],
    )
    host = os.environ.get("APEXTICK_HOST", "127.0.0.1")
    port = int(os.environ.get("APEXTICK_ONEPAY_SANDBOX_PORT", "12113"))
    web.run_app(create_app(credentials), host=host, port=port, print=None)


if __name__ == "__main__":
    main()
