"""Typed settings of the notification processes, read once from the environment by the composition root.
Secrets (database and SMTP passwords) come only from the environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from apextick_platform.settings import Env, RedactedRepr, libpq_url, secret_field, sqlalchemy_url
from notification.adapters.bus_messages import ROUTING_KEYS
from notification.adapters.smtp_mailer import SmtpConfig
from notification.domain.redelivery import RedeliveryPolicy
from notification.domain.resend_policy import ResendPolicy

QUEUE = "notification.order_events"


@dataclass(frozen=True, repr=False)
class NotificationSettings(RedactedRepr):
    database_url: str = secret_field(None)  # SQLAlchemy form, for Alembic
    amqp_url: str = secret_field()
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
    # Prometheus /metrics of this process (each process its own port; unset: not served).
    metrics_port: int | None = None

    @property
    def libpq_url(self) -> str:
        return libpq_url(self.database_url)

    @property
    def jwks_url(self) -> str:
        return self.oidc_jwks_url or f"{self.oidc_issuer}/protocol/openid-connect/certs"

    @classmethod
    def from_env(cls, source: Env | Mapping[str, str] | None = None) -> NotificationSettings:
        env = Env.of(source)
        database = env.text("APEXTICK_NOTIFICATION_DATABASE_URL") or env.required("APEXTICK_DATABASE_URL")
        smtp = SmtpConfig(
            host=env.text("APEXTICK_SMTP_HOST", "127.0.0.1"),
            port=env.integer("APEXTICK_SMTP_PORT", 1025, minimum=1),
            sender=env.text("APEXTICK_MAIL_FROM", "ApexTick <tickets@apextick.dev>"),
            user=env.text("APEXTICK_SMTP_USER"),
            password=env.text("APEXTICK_SMTP_PASSWORD"),
            starttls=env.flag("APEXTICK_SMTP_STARTTLS", default=False),
            timeout_seconds=env.number("APEXTICK_SMTP_TIMEOUT", 30, minimum=0),
        )
        redelivery = RedeliveryPolicy(
            delivery_limit=env.integer("APEXTICK_NOTIFICATION_DELIVERY_LIMIT", 5, minimum=1),
            base_seconds=env.number("APEXTICK_NOTIFICATION_RETRY_BASE", 0.5, minimum=0),
            cap_seconds=env.number("APEXTICK_NOTIFICATION_RETRY_CAP", 30, minimum=0),
        )
        return cls(
            database_url=sqlalchemy_url(database),
            amqp_url=env.text("APEXTICK_AMQP_URL"),
            host=env.text("APEXTICK_NOTIFICATION_HOST", cls.host),
            port=env.integer("APEXTICK_NOTIFICATION_PORT", cls.port, minimum=0),
            metrics_port=env.optional_integer("APEXTICK_METRICS_PORT"),
            queue=env.text("APEXTICK_NOTIFICATION_QUEUE", QUEUE),
            prefetch=env.integer("APEXTICK_NOTIFICATION_PREFETCH", cls.prefetch, minimum=1),
            redelivery=redelivery,
            resend=ResendPolicy(max_per_window=env.integer("APEXTICK_RESEND_LIMIT", 3, minimum=1)),
            smtp=smtp,
            storage_dir=Path(env.text("APEXTICK_TICKET_STORAGE_DIR", "var/tickets")),
            oidc_issuer=env.text("APEXTICK_OIDC_ISSUER", cls.oidc_issuer),
            oidc_audience=env.text("APEXTICK_OIDC_AUDIENCE", cls.oidc_audience),
            oidc_jwks_url=env.text("APEXTICK_OIDC_JWKS_URL"),
            db_pool_size=env.integer("APEXTICK_NOTIFICATION_DB_POOL_SIZE", cls.db_pool_size, minimum=1),
            log_level=env.text("APEXTICK_LOG_LEVEL", cls.log_level).upper(),
            shutdown_grace_seconds=env.number(
                "APEXTICK_SHUTDOWN_GRACE", cls.shutdown_grace_seconds, minimum=0
            ),
        )
