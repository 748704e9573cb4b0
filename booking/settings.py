"""Typed settings of the booking process, read once from the environment by the composition root."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from booking.adapters.payments.factory import PaymentSettings


class SettingsError(ValueError):
    """A required variable is missing or malformed."""


def _require(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "")
    if not value:
        raise SettingsError(f"{name} must be set")
    return value


def sqlalchemy_url(url: str) -> str:
    """Accept plain `postgresql://` URLs (what psql takes) and pin SQLAlchemy to psycopg 3."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    raise SettingsError("APEXTICK_DATABASE_URL must be a postgresql:// URL")


def _flag(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class RelaySettings:
    """The outbox relay (`apextick-booking relay`). No metrics port means no metrics endpoint."""

    amqp_url: str = ""
    batch_size: int = 200
    poll_interval_seconds: float = 1.0
    report_interval_seconds: float = 15.0
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> RelaySettings:
        port = env.get("APEXTICK_RELAY_METRICS_PORT", "")
        return cls(
            amqp_url=env.get("APEXTICK_AMQP_URL", ""),
            batch_size=int(env.get("APEXTICK_RELAY_BATCH_SIZE", cls.batch_size)),
            poll_interval_seconds=float(env.get("APEXTICK_RELAY_POLL_INTERVAL", cls.poll_interval_seconds)),
            report_interval_seconds=float(
                env.get("APEXTICK_RELAY_REPORT_INTERVAL", cls.report_interval_seconds)
            ),
            metrics_host=env.get("APEXTICK_RELAY_METRICS_HOST", cls.metrics_host),
            metrics_port=int(port) if port else None,
        )


@dataclass(frozen=True)
class OrderSettings:
    """Checkout and tickets. The payment window extends a checked-out hold; the cap, counted from the
    hold's creation, bounds how long one customer can keep seats off sale."""

    ticket_signing_secret: str = ""  # empty only when built in code (tests): an ephemeral key is used
    payment_window_seconds: float = 900.0
    payment_cap_seconds: float = 1800.0
    return_url: str = "http://localhost:3000/orders"
    reconcile_interval_seconds: float = 15.0
    reconcile_grace_seconds: float = 30.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> OrderSettings:
        return cls(
            ticket_signing_secret=_require(env, "APEXTICK_TICKET_SIGNING_SECRET"),
            payment_window_seconds=float(
                env.get("APEXTICK_PAYMENT_WINDOW_SECONDS", cls.payment_window_seconds)
            ),
            payment_cap_seconds=float(env.get("APEXTICK_PAYMENT_CAP_SECONDS", cls.payment_cap_seconds)),
            return_url=env.get("APEXTICK_CHECKOUT_RETURN_URL", cls.return_url),
            reconcile_interval_seconds=float(
                env.get("APEXTICK_RECONCILE_INTERVAL", cls.reconcile_interval_seconds)
            ),
            reconcile_grace_seconds=float(env.get("APEXTICK_RECONCILE_GRACE", cls.reconcile_grace_seconds)),
        )


@dataclass(frozen=True)
class BookingSettings:
    database_url: str
    redis_url: str = "redis://127.0.0.1:6379/0"
    hold_ttl_seconds: float = 600.0
    fast_reject: bool = True
    sweep_interval_seconds: float = 5.0
    host: str = "127.0.0.1"
    port: int = 50051
    oidc_issuer: str = "http://localhost:8180/realms/apextick"
    oidc_audience: str = "apextick-api"
    oidc_jwks_url: str = ""
    db_pool_size: int = 10
    log_level: str = "INFO"
    shutdown_grace_seconds: float = 5.0
    relay: RelaySettings = field(default_factory=RelaySettings)
    orders: OrderSettings = field(default_factory=OrderSettings)
    payments: PaymentSettings = field(default_factory=PaymentSettings)  # no provider unless configured

    @property
    def libpq_url(self) -> str:
        """The same database for psycopg directly (the claim path skips SQLAlchemy)."""
        return self.database_url.replace("postgresql+psycopg://", "postgresql://", 1)

    @property
    def jwks_url(self) -> str:
        return self.oidc_jwks_url or f"{self.oidc_issuer}/protocol/openid-connect/certs"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> BookingSettings:
        env = os.environ if env is None else env
        try:
            return cls(
                database_url=sqlalchemy_url(_require(env, "APEXTICK_DATABASE_URL")),
                redis_url=env.get("APEXTICK_REDIS_URL", cls.redis_url),
                hold_ttl_seconds=float(env.get("APEXTICK_HOLD_TTL_SECONDS", cls.hold_ttl_seconds)),
                fast_reject=_flag(env.get("APEXTICK_FAST_REJECT", "1")),
                sweep_interval_seconds=float(env.get("APEXTICK_SWEEP_INTERVAL", cls.sweep_interval_seconds)),
                host=env.get("APEXTICK_BOOKING_HOST", cls.host),
                port=int(env.get("APEXTICK_BOOKING_PORT", cls.port)),
                oidc_issuer=env.get("APEXTICK_OIDC_ISSUER", cls.oidc_issuer),
                oidc_audience=env.get("APEXTICK_OIDC_AUDIENCE", cls.oidc_audience),
                oidc_jwks_url=env.get("APEXTICK_OIDC_JWKS_URL", ""),
                db_pool_size=int(env.get("APEXTICK_DB_POOL_SIZE", cls.db_pool_size)),
                log_level=env.get("APEXTICK_LOG_LEVEL", cls.log_level).upper(),
                shutdown_grace_seconds=float(env.get("APEXTICK_SHUTDOWN_GRACE", cls.shutdown_grace_seconds)),
                relay=RelaySettings.from_env(env),
                orders=OrderSettings.from_env(env),
                payments=PaymentSettings.from_env(env),
            )
        except ValueError as exc:
            raise SettingsError(str(exc)) from exc
