"""Typed settings of the notification processes, read once from the environment by the composition root.
Secrets (database and SMTP passwords) come only from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from booking.settings import SettingsError, _flag, _require, sqlalchemy_url
from notification.adapters.bus_messages import ROUTING_KEYS
from notification.adapters.smtp_mailer import SmtpConfig
from notification.domain.redelivery import RedeliveryPolicy
from notification.domain.resend_policy import ResendPolicy

QUEUE = "notification.order_events"


@dataclass(frozen=True)
class NotificationSettings:
    database_url: str  # SQLAlchemy form, for Alembic
    amqp_url: str = ""
    host: str = "127.0.0.1"
    port: int = 50052
    queue: str = QUEUE
    routing_keys: tuple[str, ...] = ROUTING_KEYS
    prefetch: int = 8
    redelivery: RedeliveryPolicy = field(default_factory=RedeliveryPolicy)
    resend: ResendPolicy = field(default_factory=ResendPolicy)
    resend_poll_seconds: float = 1.0
    smtp: SmtpConfig = field(default_factory=lambda: SmtpConfig("127.0.0.1", 1025, "tickets@apextick.dev"))
    storage_dir: Path = Path("var/tickets")
    oidc_issuer: str = "http://localhost:8180/realms/apextick"
    oidc_audience: str = "apextick-api"
    oidc_jwks_url: str = ""
    db_pool_size: int = 8
    log_level: str = "INFO"
    shutdown_grace_seconds: float = 5.0
    report_interval_seconds: float = 30.0

    @property
    def libpq_url(self) -> str:
        return self.database_url.replace("postgresql+psycopg://", "postgresql://", 1)

    @property
    def jwks_url(self) -> str:
        return self.oidc_jwks_url or f"{self.oidc_issuer}/protocol/openid-connect/certs"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> NotificationSettings:
        env = os.environ if env is None else env

        def get(name: str, default: object) -> str:
            return env.get(name, "") or str(default)

        try:
            database = env.get("APEXTICK_NOTIFICATION_DATABASE_URL", "") or _require(
                env, "APEXTICK_DATABASE_URL"
            )
            smtp = SmtpConfig(
                host=get("APEXTICK_SMTP_HOST", "127.0.0.1"),
                port=int(get("APEXTICK_SMTP_PORT", 1025)),
                sender=get("APEXTICK_MAIL_FROM", "ApexTick <tickets@apextick.dev>"),
                user=env.get("APEXTICK_SMTP_USER", ""),
                password=env.get("APEXTICK_SMTP_PASSWORD", ""),
                starttls=_flag(env.get("APEXTICK_SMTP_STARTTLS", "0")),
                timeout_seconds=float(get("APEXTICK_SMTP_TIMEOUT", 30)),
            )
            redelivery = RedeliveryPolicy(
                delivery_limit=int(get("APEXTICK_NOTIFICATION_DELIVERY_LIMIT", 5)),
                base_seconds=float(get("APEXTICK_NOTIFICATION_RETRY_BASE", 0.5)),
                cap_seconds=float(get("APEXTICK_NOTIFICATION_RETRY_CAP", 30)),
            )
            resend = ResendPolicy(max_per_window=int(get("APEXTICK_RESEND_LIMIT", 3)))
            return cls(
                database_url=sqlalchemy_url(database),
                amqp_url=env.get("APEXTICK_AMQP_URL", ""),
                host=get("APEXTICK_NOTIFICATION_HOST", cls.host),
                port=int(get("APEXTICK_NOTIFICATION_PORT", cls.port)),
                queue=get("APEXTICK_NOTIFICATION_QUEUE", QUEUE),
                prefetch=int(get("APEXTICK_NOTIFICATION_PREFETCH", cls.prefetch)),
                redelivery=redelivery,
                resend=resend,
                smtp=smtp,
                storage_dir=Path(get("APEXTICK_TICKET_STORAGE_DIR", "var/tickets")),
                oidc_issuer=get("APEXTICK_OIDC_ISSUER", cls.oidc_issuer),
                oidc_audience=get("APEXTICK_OIDC_AUDIENCE", cls.oidc_audience),
                oidc_jwks_url=env.get("APEXTICK_OIDC_JWKS_URL", ""),
                db_pool_size=int(get("APEXTICK_NOTIFICATION_DB_POOL_SIZE", cls.db_pool_size)),
                log_level=get("APEXTICK_LOG_LEVEL", cls.log_level).upper(),
                shutdown_grace_seconds=float(get("APEXTICK_SHUTDOWN_GRACE", cls.shutdown_grace_seconds)),
            )
        except ValueError as exc:
            raise SettingsError(str(exc)) from exc
