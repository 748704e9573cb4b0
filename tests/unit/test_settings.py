"""One settings reader for every process: empty means unset, malformed values name their variable,
booleans are strict, and secrets never reach a repr."""

from __future__ import annotations

import pytest

from apextick_platform.settings import Env, SettingsError
from booking.settings import BookingSettings
from notification.settings import NotificationSettings

DATABASE = "postgresql://apextick:pg-secret-pw@127.0.0.1:5432/apextick"
BOOKING_ENV = {
    "APEXTICK_DATABASE_URL": DATABASE,
    "APEXTICK_TICKET_SIGNING_SECRET": "ticket-secret-value",
    "APEXTICK_QUEUE_PASS_SECRET": "queue-pass-secret-value",
    "APEXTICK_REDIS_URL": "redis://default:redis-secret-pw@127.0.0.1:6379/0",
    "APEXTICK_AMQP_URL": "amqp://apextick:amqp-secret-pw@127.0.0.1:5672/%2F",
    "APEXTICK_STRIPE_API_KEY": "sk_test_secret_key",
    "APEXTICK_STRIPE_WEBHOOK_SECRET": "whsec_secret_value",
}
SECRETS = ("pg-secret-pw", "ticket-secret-value", "redis-secret-pw", "amqp-secret-pw", "sk_test_secret_key")


def test_an_empty_variable_means_the_default_in_every_service() -> None:
    blank = {"APEXTICK_BOOKING_PORT": "", "APEXTICK_NOTIFICATION_PORT": " ", "APEXTICK_FAST_REJECT": ""}
    booking = BookingSettings.from_env({**BOOKING_ENV, **blank})
    notification = NotificationSettings.from_env({**BOOKING_ENV, **blank})
    assert booking.port == 50051
    assert booking.fast_reject is True
    assert notification.port == 50052


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("APEXTICK_BOOKING_PORT", "fifty"),
        ("APEXTICK_FAST_REJECT", "ture"),
        ("APEXTICK_HOLD_TTL_SECONDS", "nan"),
        ("APEXTICK_DB_POOL_SIZE", "0"),
        ("APEXTICK_STRIPE_TOLERANCE_SECONDS", "5m"),
    ],
)
def test_a_malformed_value_is_an_error_naming_its_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        BookingSettings.from_env({**BOOKING_ENV, name: value})


def test_booleans_are_strict() -> None:
    env = Env({"A": "Yes", "B": "off", "C": "2"})
    assert env.flag("A", default=False) is True
    assert env.flag("B", default=True) is False
    assert env.flag("MISSING", default=True) is True
    with pytest.raises(SettingsError, match="C must be one of"):
        env.flag("C", default=False)


def test_a_missing_required_variable_is_named() -> None:
    with pytest.raises(SettingsError, match="APEXTICK_DATABASE_URL must be set"):
        BookingSettings.from_env({"APEXTICK_TICKET_SIGNING_SECRET": "x"})
    with pytest.raises(SettingsError, match="APEXTICK_TICKET_SIGNING_SECRET must be set"):
        BookingSettings.from_env({"APEXTICK_DATABASE_URL": DATABASE, "APEXTICK_QUEUE_PASS_SECRET": "q"})
    with pytest.raises(SettingsError, match="APEXTICK_QUEUE_PASS_SECRET must be set"):
        BookingSettings.from_env({"APEXTICK_DATABASE_URL": DATABASE, "APEXTICK_TICKET_SIGNING_SECRET": "x"})


def test_no_secret_reaches_a_repr() -> None:
    shown = repr(BookingSettings.from_env(BOOKING_ENV)) + repr(
        NotificationSettings.from_env({**BOOKING_ENV, "APEXTICK_SMTP_PASSWORD": "smtp-secret-pw"})
    )
    for secret in (*SECRETS, "whsec_secret_value", "smtp-secret-pw"):
        assert secret not in shown
    # What helps debugging stays: hosts, ports and ordinary values.
    assert "127.0.0.1:5432" in shown
    assert "hold_ttl_seconds=600.0" in shown
    assert "***" in shown


def test_the_edge_reads_the_extra_booking_ports_as_a_list() -> None:
    from edge.settings import EdgeSettings  # noqa: PLC0415 - the dev stack's settings, only here

    assert EdgeSettings.from_env({}).booking_extra_ports == ()
    listed = EdgeSettings.from_env({"APEXTICK_BOOKING_EXTRA_PORTS": "50061, 50062"})
    assert listed.booking_extra_ports == (50061, 50062)
    with pytest.raises(SettingsError, match="APEXTICK_BOOKING_EXTRA_PORTS"):
        EdgeSettings.from_env({"APEXTICK_BOOKING_EXTRA_PORTS": "50061;50062"})
