"""The local stack's test payment page, DEV STACK ONLY: it stands in for Stripe's hosted Checkout page, which
stripe-mock does not serve. The booking service sends the buyer here when APEXTICK_STRIPE_TEST_CHECKOUT_URL
is set (refused with the real Stripe); the page shows the order's amount, and "Pay" does what Stripe does:
it sends the buyer back to the success URL and, on its own, posts the `checkout.session.completed` webhook
signed with the webhook secret. The webhook goes a moment after the redirect, as Stripe's often does, so
the app's return page has to wait for the webhook-confirmed order rather than trust the redirect; it is
retried, as Stripe retries, until the edge accepts it. Nothing under booking/ imports this module.

    python -m devstack.test_checkout    serve on APEXTICK_HOST:APEXTICK_TEST_CHECKOUT_PORT (default 12114),
                                        posting webhooks to APEXTICK_TEST_CHECKOUT_WEBHOOK_URL
"""

from __future__ import annotations

import asyncio
import html
import logging
import os
from dataclasses import dataclass
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from devstack.purchase import paid_event, stripe_signature

LOG = logging.getLogger("apextick.test_checkout")
FIELDS = ("session", "order", "reference", "amount", "currency", "success", "cancel")
WEBHOOK_ATTEMPTS = 5


@dataclass(frozen=True)
class CheckoutSettings:
    webhook_url: str  # the edge's POST /v1/webhooks/stripe
    webhook_secret: str
    webhook_delay_seconds: float = 0.5

    def __repr__(self) -> str:
        return f"CheckoutSettings(webhook_url={self.webhook_url!r})"


SETTINGS: web.AppKey[CheckoutSettings] = web.AppKey("settings", CheckoutSettings)
SENDING: web.AppKey[set[asyncio.Task[None]]] = web.AppKey("sending", set)


@dataclass(frozen=True)
class Payment:
    session: str
    order: str
    reference: str
    amount: int
    currency: str
    success: str
    cancel: str

    @classmethod
    def parse(cls, values: dict[str, str]) -> Payment | None:
        """None unless every field is present and well formed (the URLs http(s), the amount a number)."""
        if any(not values.get(name) for name in FIELDS[:-1]) or not values.get("amount", "").isdigit():
            return None
        urls = (values["success"], values.get("cancel") or values["success"])
        if any(urlsplit(url).scheme not in {"http", "https"} for url in urls):
            return None
        return cls(
            values["session"], values["order"], values["reference"], int(values["amount"]),
            values["currency"].upper(), urls[0], urls[1],
        )  # fmt: skip


def _page(title: str, body: str, status: int = 200) -> web.Response:
    text = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>
<style>body{{font:16px system-ui,sans-serif;background:#f4f1ea;margin:0;padding:2rem 1rem}}
main{{max-width:26rem;margin:auto;background:#fff;border-radius:12px;padding:1.5rem;
box-shadow:0 2px 12px #0002}}
.dev{{background:#ffe08a;border-radius:6px;padding:.5rem .75rem;font-size:.85rem}}
.amount{{font-size:2rem;font-weight:700;margin:.5rem 0}}button{{font:inherit;padding:.75rem 1.25rem;
border-radius:8px;border:0;cursor:pointer;margin:.25rem .5rem .25rem 0}}.pay{{background:#1f6f4a;color:#fff}}
.cancel{{background:#e5e0d6}}</style></head><body><main>{body}</main></body></html>"""
    return web.Response(text=text, status=status, content_type="text/html")


def _form(payment: Payment) -> str:
    hidden = "".join(
        f'<input type="hidden" name="{name}" value="{html.escape(str(getattr(payment, name)))}">'
        for name in FIELDS
    )
    amount = f"{payment.amount / 100:.2f} {html.escape(payment.currency)}"
    return f"""<p class="dev" role="note">Test payment page of the local stack: no money moves.</p>
<h1>Pay ApexTick</h1><p>Order {html.escape(payment.reference)}</p><p class="amount">{amount}</p>
<p>Card 4242 4242 4242 4242 (test)</p><form method="post" action="pay">{hidden}
<button class="pay" name="action" value="pay">Pay {amount}</button>
<button class="cancel" name="action" value="cancel">Cancel</button></form>"""


async def show(request: web.Request) -> web.Response:
    payment = Payment.parse(dict(request.query))
    if payment is None:
        return _page("Payment link broken", "<h1>This payment link is incomplete.</h1>", status=400)
    return _page("Pay ApexTick", _form(payment))


async def submit(request: web.Request) -> web.Response:
    form = await request.post()
    payment = Payment.parse({name: str(form.get(name, "")) for name in FIELDS})
    if payment is None:
        return _page("Payment link broken", "<h1>This payment link is incomplete.</h1>", status=400)
    if form.get("action") != "pay":
        raise web.HTTPSeeOther(payment.cancel)
    task = asyncio.create_task(_send_webhook(request.app[SETTINGS], payment))
    request.app[SENDING].add(task)  # kept until done: a task with no reference may be collected early
    task.add_done_callback(request.app[SENDING].discard)
    raise web.HTTPSeeOther(payment.success)


async def _send_webhook(settings: CheckoutSettings, payment: Payment) -> None:
    body = paid_event(payment.order, payment.session, payment.amount, payment.currency)
    delay = settings.webhook_delay_seconds
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
        for _ in range(WEBHOOK_ATTEMPTS):
            await asyncio.sleep(delay)
            headers = {"stripe-signature": stripe_signature(body, settings.webhook_secret),
                       "content-type": "application/json"}  # fmt: skip
            try:
                async with http.post(settings.webhook_url, data=body, headers=headers) as answer:
                    if answer.status < 500:  # noqa: PLR2004 - a 4xx is final, as it is for Stripe
                        LOG.info("webhook for %s: %s", payment.reference, answer.status)
                        return
            except aiohttp.ClientError as error:
                LOG.warning("webhook for %s not delivered: %s", payment.reference, error)
            delay = min(delay * 2 + 1, 10)
    LOG.error("webhook for %s given up after %d attempts", payment.reference, WEBHOOK_ATTEMPTS)


def create_app(settings: CheckoutSettings) -> web.Application:
    app = web.Application()
    app[SETTINGS] = settings
    app[SENDING] = set()
    app.router.add_get("/pay", show)
    app.router.add_post("/pay", submit)
    return app


def settings_from_env() -> CheckoutSettings:
    edge = os.environ.get("APEXTICK_EDGE_REST_PORT", "8080")
    host = os.environ.get("APEXTICK_HOST", "127.0.0.1")
    return CheckoutSettings(
        webhook_url=os.environ.get(
            "APEXTICK_TEST_CHECKOUT_WEBHOOK_URL", f"http://{host}:{edge}/v1/webhooks/stripe"
        ),
        webhook_secret=os.environ["APEXTICK_STRIPE_WEBHOOK_SECRET"],
    )


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    host = os.environ.get("APEXTICK_HOST", "127.0.0.1")
    port = int(os.environ.get("APEXTICK_TEST_CHECKOUT_PORT", "12114"))
    web.run_app(create_app(settings_from_env()), host=host, port=port, print=None)


if __name__ == "__main__":
    main()
