"""Typed settings of the booking process, read once from the environment by the composition root."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


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


@dataclass(frozen=True)
class BookingSettings:
    database_url: str
    host: str = "127.0.0.1"
    port: int = 50051
    oidc_issuer: str = "http://localhost:8180/realms/apextick"
    oidc_audience: str = "apextick-api"
    oidc_jwks_url: str = ""
    db_pool_size: int = 10
    log_level: str = "INFO"
    shutdown_grace_seconds: float = 5.0

    @property
    def jwks_url(self) -> str:
        return self.oidc_jwks_url or f"{self.oidc_issuer}/protocol/openid-connect/certs"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> BookingSettings:
        env = os.environ if env is None else env
        try:
            return cls(
                database_url=sqlalchemy_url(_require(env, "APEXTICK_DATABASE_URL")),
                host=env.get("APEXTICK_BOOKING_HOST", cls.host),
                port=int(env.get("APEXTICK_BOOKING_PORT", cls.port)),
                oidc_issuer=env.get("APEXTICK_OIDC_ISSUER", cls.oidc_issuer),
                oidc_audience=env.get("APEXTICK_OIDC_AUDIENCE", cls.oidc_audience),
                oidc_jwks_url=env.get("APEXTICK_OIDC_JWKS_URL", ""),
                db_pool_size=int(env.get("APEXTICK_DB_POOL_SIZE", cls.db_pool_size)),
                log_level=env.get("APEXTICK_LOG_LEVEL", cls.log_level).upper(),
                shutdown_grace_seconds=float(env.get("APEXTICK_SHUTDOWN_GRACE", cls.shutdown_grace_seconds)),
            )
        except ValueError as exc:
            raise SettingsError(str(exc)) from exc
