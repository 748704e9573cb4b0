"""From the webhook's commit to the buyer's inbox, under the headline flash-sale load.

Against a running stack (`make up`):

    .venv/bin/python -m benchmarks.inbox_latency            # 5,000 attempts, 200 clients, 200 seats

The headline sale runs first (real Keycloak customers, gRPC); then every winner checks out with Stripe
(stripe-mock) and all the winners' payment webhooks are posted to the REST edge at once, signed as
Stripe signs them. The figure is the time from each OrderConfirmed's commit (the `X-ApexTick-Caused-At`
header the notification service stamps) to the email's arrival at the local SMTP catcher
(`X-Catcher-Received-At`): relay, RabbitMQ, consumer, rendering and SMTP included."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import grpc
from apextick.orders.v1 import order_pb2
from apextick.orders.v1 import order_service_pb2 as osv
from apextick.orders.v1 import order_service_pb2_grpc as order_grpc
from apextick_client.auth import KeycloakTokenSource
from apextick_client.bench import Scenario, run_sale

from devstack.mail_catcher import MailFolder
from devstack.purchase import paid_event, stripe_signature
from notification.service_layer.ticket_delivery import CAUSED_AT_HEADER

ROOT = Path(__file__).resolve().parent.parent


def quantile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def checkout_all(target: str, winners: list[tuple[str, str]]) -> list[order_pb2.Order]:
    async with grpc.aio.insecure_channel(target) as channel:
        stub = order_grpc.OrderServiceStub(channel)

        async def one(hold: str, token: str) -> order_pb2.Order:
            request = osv.CheckoutRequest(
                hold=hold, provider=order_pb2.PAYMENT_PROVIDER_STRIPE, request_id=str(uuid.uuid4())
            )
            reply = await stub.Checkout(request, metadata=(("authorization", f"Bearer {token}"),), timeout=60)
            return reply.order

        return list(await asyncio.gather(*(one(hold, token) for hold, token in winners)))


async def pay_all(rest: str, secret: str, orders: list[order_pb2.Order]) -> dict[str, Any]:
    """Every winner's webhook at once: the commits that start the clock."""
    latencies: list[float] = []
    async with aiohttp.ClientSession() as http:

        async def one(order: order_pb2.Order) -> None:
            body = paid_event(
                order.name.removeprefix("orders/"),
                order.payment_session.session_id,
                order.total_minor,
                order.currency_code,
            )
            headers = {"content-type": "application/json", "stripe-signature": stripe_signature(body, secret)}
            began = time.perf_counter()
            async with http.post(f"{rest}/v1/webhooks/stripe", data=body, headers=headers) as response:
                if response.status != 200:  # noqa: PLR2004 - HTTP OK
                    raise RuntimeError(f"webhook refused: {response.status} {await response.text()}")
            latencies.append((time.perf_counter() - began) * 1000)

        began = time.perf_counter()
        await asyncio.gather(*(one(order) for order in orders))
        elapsed = time.perf_counter() - began
    latencies.sort()
    return {
        "webhooks": len(latencies),
        "webhooks_per_s": round(len(latencies) / elapsed, 1),
        "webhook_p50_ms": round(quantile(latencies, 0.5), 1),
        "webhook_p99_ms": round(quantile(latencies, 0.99), 1),
    }


def inbox_latencies(folder: Path, references: set[str], timeout: float) -> dict[str, Any]:
    """Wait for one email per order (matched by the order reference in its subject), then measure."""
    deadline = time.monotonic() + timeout
    found: dict[str, float] = {}
    while time.monotonic() < deadline and len(found) < len(references):
        for mail in MailFolder(folder).messages():
            subject = str(mail.message["Subject"] or "")
            reference = next((r for r in references if r in subject), None)
            caused = mail.message[CAUSED_AT_HEADER]
            if reference and caused and reference not in found:
                found[reference] = (mail.received_at - datetime.fromisoformat(str(caused))).total_seconds()
        time.sleep(0.5)
    samples = sorted(found.values())
    return {
        "emails": len(samples),
        "missing": len(references) - len(samples),
        "inbox_p50_s": round(quantile(samples, 0.5), 3),
        "inbox_p99_s": round(quantile(samples, 0.99), 3),
        "inbox_max_s": round(samples[-1], 3) if samples else float("nan"),
        "inbox_mean_s": round(statistics.fmean(samples), 3) if samples else float("nan"),
    }


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    scenario = Scenario(args.seats, args.attempts, args.concurrency, (args.booking,))
    sale, outcomes = await run_sale(
        scenario, os.environ["APEXTICK_DATABASE_URL"], KeycloakTokenSource(args.keycloak)
    )
    orders = await checkout_all(args.booking, outcomes.winners)
    paid = await pay_all(args.rest, os.environ["APEXTICK_STRIPE_WEBHOOK_SECRET"], orders)
    inbox = await asyncio.to_thread(
        inbox_latencies, args.mail_dir, {o.reference for o in orders}, args.timeout
    )
    keys = ("won", "rejected", "errors", "seats_held_twice", "rps", "p95_ms")
    return {"sale": {k: sale[k] for k in keys if k in sale}, "orders": len(orders), **paid, **inbox}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--booking", default=f"127.0.0.1:{os.environ.get('APEXTICK_BOOKING_PORT', '50051')}")
    parser.add_argument(
        "--rest", default=f"http://127.0.0.1:{os.environ.get('APEXTICK_EDGE_REST_PORT', '8080')}"
    )
    parser.add_argument(
        "--keycloak", default=f"http://localhost:{os.environ.get('APEXTICK_IDENTITY_PORT', '8180')}"
    )
    parser.add_argument("--mail-dir", type=Path, default=ROOT / "var" / "mail")
    parser.add_argument("--seats", type=int, default=200)
    parser.add_argument("--attempts", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for the emails")
    result = asyncio.run(main_async(parser.parse_args()))
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
