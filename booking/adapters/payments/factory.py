"""Payment settings from the environment and the gateways they allow. A provider whose credentials are not
set is simply not built, so checkout offers only what can actually take money."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import aiohttp

from apextick_platform.settings import Env
from booking.adapters.payments.onepay import LIVE_API_BASE, OnepayGateway, OnepaySettings
from booking.adapters.payments.payhere import (
    SANDBOX_API_BASE,
    SANDBOX_CHECKOUT_URL,
    PayHereGateway,
    PayHereSettings,
)
from booking.adapters.payments.stripe_gateway import StripeGateway, StripeSettings
from booking.domain.payment import Provider
from booking.service_layer.payment_ports import PaymentGateway

DEFAULT_STRIPE_TOLERANCE_SECONDS = 300


def _stripe(env: Env) -> StripeSettings | None:
    api_key = env.text("APEXTICK_STRIPE_API_KEY")
    webhook_secret = env.text("APEXTICK_STRIPE_WEBHOOK_SECRET")
    if not (api_key and webhook_secret):
        return None
    return StripeSettings(
        api_key=api_key,
        webhook_secret=webhook_secret,
        api_base=env.text("APEXTICK_STRIPE_API_BASE"),
        test_checkout_url=env.text("APEXTICK_STRIPE_TEST_CHECKOUT_URL"),
        tolerance_seconds=env.integer(
            "APEXTICK_STRIPE_TOLERANCE_SECONDS", DEFAULT_STRIPE_TOLERANCE_SECONDS, minimum=1
        ),
    )


def _payhere(env: Env) -> PayHereSettings | None:
    merchant_id = env.text("APEXTICK_PAYHERE_MERCHANT_ID")
    merchant_secret = env.text("APEXTICK_PAYHERE_MERCHANT_SECRET")
    notify_url = env.text("APEXTICK_PAYHERE_NOTIFY_URL")
    if not (merchant_id and merchant_secret and notify_url):
        return None
    return PayHereSettings(
        merchant_id=merchant_id,
        merchant_secret=merchant_secret,
        notify_url=notify_url,
        checkout_url=env.text("APEXTICK_PAYHERE_CHECKOUT_URL", SANDBOX_CHECKOUT_URL),
        api_base=env.text("APEXTICK_PAYHERE_API_BASE", SANDBOX_API_BASE),
        app_id=env.text("APEXTICK_PAYHERE_APP_ID"),
        app_secret=env.text("APEXTICK_PAYHERE_APP_SECRET"),
    )


def _onepay(env: Env) -> OnepaySettings | None:
    app_id = env.text("APEXTICK_ONEPAY_APP_ID")
    app_token = env.text("APEXTICK_ONEPAY_APP_TOKEN")
    hash_salt = env.text("APEXTICK_ONEPAY_HASH_SALT")
    if not (app_id and app_token and hash_salt):
        return None
    return OnepaySettings(
        app_id=app_id,
        app_token=app_token,
        hash_salt=hash_salt,
        api_base=env.text("APEXTICK_ONEPAY_API_BASE", LIVE_API_BASE),
    )


@dataclass(frozen=True)
class PaymentSettings:
    stripe: StripeSettings | None = None
    payhere: PayHereSettings | None = None
    onepay: OnepaySettings | None = None

    @classmethod
    def from_env(cls, source: Env | Mapping[str, str]) -> PaymentSettings:
        env = Env.of(source)
        return cls(stripe=_stripe(env), payhere=_payhere(env), onepay=_onepay(env))


class ClosableGateway(PaymentGateway, Protocol):
    """What build_gateways hands out: the port plus close(), for the composition root's shutdown."""

    async def close(self) -> None: ...


def build_gateways(
    settings: PaymentSettings, session: aiohttp.ClientSession | None = None
) -> dict[Provider, ClosableGateway]:
    """With a session every gateway shares it and the caller closes it; without one each gateway makes its
    own on first use and closes it in close(). Nothing connects here."""
    gateways: dict[Provider, ClosableGateway] = {}
    if settings.stripe is not None:
        gateways[Provider.STRIPE] = StripeGateway(settings.stripe, session=session)
    if settings.payhere is not None:
        gateways[Provider.PAYHERE] = PayHereGateway(settings.payhere, session=session)
    if settings.onepay is not None:
        gateways[Provider.ONEPAY] = OnepayGateway(settings.onepay, session=session)
    return gateways
