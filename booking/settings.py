"""Typed settings of the booking process, read once from the environment by the composition root."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from apextick_platform.settings import Env, RedactedRepr, libpq_url, secret_field, sqlalchemy_url
from booking.adapters.keycloak_users import DirectorySettings
from booking.adapters.payments.factory import PaymentSettings


@dataclass(frozen=True, repr=False)
class RelaySettings(RedactedRepr):
    """The outbox relay (`apextick-booking relay`). No metrics port means no metrics endpoint."""

    amqp_url: str = secret_field()
    batch_size: int = 200
    poll_interval_seconds: float = 1.0
    report_interval_seconds: float = 15.0
    metrics_host: str = "127.0.0.1"
    metrics_port: int | None = None

    @classmethod
    def from_env(cls, source: Env | Mapping[str, str]) -> RelaySettings:
        env = Env.of(source)
        return cls(
            amqp_url=env.text("APEXTICK_AMQP_URL"),
            batch_size=env.integer("APEXTICK_RELAY_BATCH_SIZE", cls.batch_size, minimum=1),
            poll_interval_seconds=env.number("APEXTICK_RELAY_POLL_INTERVAL", cls.poll_interval_seconds),
            report_interval_seconds=env.number("APEXTICK_RELAY_REPORT_INTERVAL", cls.report_interval_seconds),
            metrics_host=env.text("APEXTICK_RELAY_METRICS_HOST", cls.metrics_host),
            metrics_port=env.optional_integer("APEXTICK_RELAY_METRICS_PORT"),
        )


@dataclass(frozen=True, repr=False)
class OrderSettings(RedactedRepr):
    """Checkout and tickets. The payment window extends a checked-out hold; the cap, counted from the
    hold's creation, bounds how long one customer can keep seats off sale."""

    ticket_signing_secret: str = (
        secret_field()
    )  # empty only when built in code (tests): an ephemeral key is used
    # Public keys (raw Ed25519, base64url) of signing secrets rotated out: their tickets still verify.
    retired_ticket_keys: tuple[str, ...] = ()
    payment_window_seconds: float = 900.0
    payment_cap_seconds: float = 1800.0
    return_url: str = "http://localhost:8080/orders"
    reconcile_interval_seconds: float = 15.0
    reconcile_grace_seconds: float = 30.0

    @classmethod
    def from_env(cls, source: Env | Mapping[str, str]) -> OrderSettings:
        env = Env.of(source)
        return cls(
            ticket_signing_secret=env.required("APEXTICK_TICKET_SIGNING_SECRET"),
            retired_ticket_keys=tuple(
                key.strip() for key in env.text("APEXTICK_TICKET_RETIRED_KEYS").split(",") if key.strip()
            ),
            payment_window_seconds=env.number(
                "APEXTICK_PAYMENT_WINDOW_SECONDS", cls.payment_window_seconds, minimum=1
            ),
            payment_cap_seconds=env.number(
                "APEXTICK_PAYMENT_CAP_SECONDS", cls.payment_cap_seconds, minimum=1
            ),
            return_url=env.text("APEXTICK_CHECKOUT_RETURN_URL", cls.return_url),
            reconcile_interval_seconds=env.number(
                "APEXTICK_RECONCILE_INTERVAL", cls.reconcile_interval_seconds, minimum=0
            ),
            reconcile_grace_seconds=env.number(
                "APEXTICK_RECONCILE_GRACE", cls.reconcile_grace_seconds, minimum=0
            ),
        )


@dataclass(frozen=True, repr=False)
class BookingSettings(RedactedRepr):
    database_url: str = secret_field(None)  # SQLAlchemy form
    redis_url: str = secret_field("redis://127.0.0.1:6379/0")
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
    watch_streams_per_caller: int = 16
    watch_heartbeat_seconds: float = 20.0
    # Stretches of the event loop longer than this are logged ("event loop held").
    loop_watch_ms: float = 100.0
    watch_backlog: int = 64  # deltas a seat-map stream may lag behind before it must resync
    # The live map's tick (seat_feed.TickPolicy): shortest and longest, and the share of one core the
    # process may spend before the tick lengthens.
    watch_tick_floor_ms: float = 100.0
    watch_tick_ceiling_ms: float = 2000.0
    watch_cpu_budget: float = 0.2
    seatmap_port: int = 50053  # `apextick-booking seatmap`: the live map apart from the claim path
    # Its CPU priority (nice): on cores it shares with the claims, the kernel then serves the claims
    # first and the map's ticks wait (in a cluster, the pod's CPU limit does this instead).
    seatmap_nice: int = 10
    # Prometheus /metrics of this process (each process its own port; unset: not served).
    metrics_port: int | None = None
    # Signs the waiting room's passes; every booking process must share it (empty only when built in
    # code, for tests: an ephemeral key, good for one process).
    queue_pass_secret: str = secret_field("")
    relay: RelaySettings = field(default_factory=RelaySettings)
    orders: OrderSettings = field(default_factory=OrderSettings)
    payments: PaymentSettings = field(default_factory=PaymentSettings)  # no provider unless configured
    directory: DirectorySettings = field(default_factory=DirectorySettings)  # no secret: no user admin

    @property
    def libpq_url(self) -> str:
        """The same database for psycopg directly (the claim path skips SQLAlchemy)."""
        return libpq_url(self.database_url)

    @property
    def jwks_url(self) -> str:
        return self.oidc_jwks_url or f"{self.oidc_issuer}/protocol/openid-connect/certs"

    @classmethod
    def from_env(cls, source: Env | Mapping[str, str] | None = None) -> BookingSettings:
        env = Env.of(source)
        issuer = env.text("APEXTICK_OIDC_ISSUER", cls.oidc_issuer)
        return cls(
            database_url=sqlalchemy_url(env.required("APEXTICK_DATABASE_URL")),
            redis_url=env.text("APEXTICK_REDIS_URL", cls.redis_url),
            hold_ttl_seconds=env.number("APEXTICK_HOLD_TTL_SECONDS", cls.hold_ttl_seconds, minimum=1),
            fast_reject=env.flag("APEXTICK_FAST_REJECT", cls.fast_reject),
            sweep_interval_seconds=env.number(
                "APEXTICK_SWEEP_INTERVAL", cls.sweep_interval_seconds, minimum=0
            ),
            host=env.text("APEXTICK_BOOKING_HOST", cls.host),
            port=env.integer("APEXTICK_BOOKING_PORT", cls.port, minimum=0),
            oidc_issuer=issuer,
            oidc_audience=env.text("APEXTICK_OIDC_AUDIENCE", cls.oidc_audience),
            oidc_jwks_url=env.text("APEXTICK_OIDC_JWKS_URL"),
            db_pool_size=env.integer("APEXTICK_DB_POOL_SIZE", cls.db_pool_size, minimum=1),
            log_level=env.text("APEXTICK_LOG_LEVEL", cls.log_level).upper(),
            shutdown_grace_seconds=env.number(
                "APEXTICK_SHUTDOWN_GRACE", cls.shutdown_grace_seconds, minimum=0
            ),
            watch_streams_per_caller=env.integer(
                "APEXTICK_WATCH_STREAMS_PER_CALLER", cls.watch_streams_per_caller, minimum=1
            ),
            loop_watch_ms=env.number("APEXTICK_LOOP_WATCH_MS", cls.loop_watch_ms, minimum=1),
            watch_heartbeat_seconds=env.number(
                "APEXTICK_WATCH_HEARTBEAT_SECONDS", cls.watch_heartbeat_seconds, minimum=0.1
            ),
            watch_backlog=env.integer("APEXTICK_WATCH_BACKLOG", cls.watch_backlog, minimum=1),
            watch_tick_floor_ms=env.number(
                "APEXTICK_WATCH_TICK_FLOOR_MS", cls.watch_tick_floor_ms, minimum=1
            ),
            watch_tick_ceiling_ms=env.number(
                "APEXTICK_WATCH_TICK_CEILING_MS", cls.watch_tick_ceiling_ms, minimum=1
            ),
            watch_cpu_budget=env.number("APEXTICK_WATCH_CPU_BUDGET", cls.watch_cpu_budget, minimum=0.01),
            seatmap_port=env.integer("APEXTICK_SEATMAP_PORT", cls.seatmap_port, minimum=0),
            seatmap_nice=env.integer("APEXTICK_SEATMAP_NICE", cls.seatmap_nice, minimum=0),
            metrics_port=env.optional_integer("APEXTICK_METRICS_PORT"),
            queue_pass_secret=env.required("APEXTICK_QUEUE_PASS_SECRET"),
            relay=RelaySettings.from_env(env),
            orders=OrderSettings.from_env(env),
            payments=PaymentSettings.from_env(env),
            directory=DirectorySettings.from_env(env, issuer),
        )
