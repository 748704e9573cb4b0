"""Payment settings from the environment: a provider is built only with its credentials, settings never
print secrets, and building makes no connection."""

from __future__ import annotations

from booking.adapters.payments import PaymentSettings, build_gateways
from booking.domain.payment import Provider

FULL_ENV = {
    "APEXTICK_STRIPE_API_KEY": "sk_test_factory",
    "APEXTICK_STRIPE_WEBHOOK_SECRET": "whsec_factory_secret",
    "APEXTICK_STRIPE_API_BASE": "http://127.0.0.1:12111",
    "APEXTICK_STRIPE_TOLERANCE_SECONDS": "120",
    "APEXTICK_PAYHERE_MERCHANT_ID": "1221149",
    "APEXTICK_PAYHERE_MERCHANT_SECRET": "payhere_factory_secret",
    "APEXTICK_PAYHERE_NOTIFY_URL": "http://127.0.0.1:8080/v1/webhooks/payhere",
    "APEXTICK_ONEPAY_APP_ID": "APP",
    "APEXTICK_ONEPAY_APP_TOKEN": "onepay_factory_token",
    "APEXTICK_ONEPAY_HASH_SALT": "onepay_factory_salt",
}


async def test_every_configured_provider_is_built() -> None:
    settings = PaymentSettings.from_env(FULL_ENV)
    assert settings.stripe is not None
    assert (settings.stripe.api_base, settings.stripe.tolerance_seconds) == ("http://127.0.0.1:12111", 120)
    gateways = build_gateways(settings)
    assert set(gateways) == {Provider.STRIPE, Provider.PAYHERE, Provider.ONEPAY}
    assert all(gateway.provider is provider for provider, gateway in gateways.items())
    for gateway in gateways.values():
        await gateway.close()


def test_a_provider_without_credentials_is_not_built() -> None:
    env = {k: v for k, v in FULL_ENV.items() if k != "APEXTICK_PAYHERE_MERCHANT_SECRET"}
    env["APEXTICK_ONEPAY_HASH_SALT"] = ""
    assert set(build_gateways(PaymentSettings.from_env(env))) == {Provider.STRIPE}
    assert build_gateways(PaymentSettings.from_env({})) == {}


def test_defaults_point_at_real_providers_sandboxes() -> None:
    settings = PaymentSettings.from_env({**FULL_ENV, "APEXTICK_STRIPE_API_BASE": ""})
    assert settings.stripe is not None
    assert settings.payhere is not None
    assert settings.onepay is not None
    assert settings.stripe.api_base == ""  # Stripe itself
    assert settings.stripe.tolerance_seconds == 120
    assert settings.payhere.checkout_url == "https://sandbox.payhere.lk/pay/checkout"
    assert settings.onepay.api_base == "https://api.onepay.lk"


def test_settings_never_print_secrets() -> None:
    text = repr(PaymentSettings.from_env(FULL_ENV))
    for name, value in FULL_ENV.items():
        if any(word in name for word in ("KEY", "SECRET", "TOKEN", "SALT")):
            assert value not in text
