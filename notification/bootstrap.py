"""The notification processes' one composition root: the pool, the adapters and the use cases are built
here from settings; nothing is created at import time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import psycopg
from prometheus_client import CollectorRegistry
from psycopg_pool import ConnectionPool

from apextick_platform.jwks_verifier import JwksTokenVerifier, TokenPolicy
from apextick_platform.metrics import new_registry
from apextick_platform.tokens import TokenVerifier
from notification.adapters.counted_mailer import CountedMailer
from notification.adapters.dead_letters import RabbitDeadLetters
from notification.adapters.file_storage import FilePdfStorage
from notification.adapters.pdf_renderer import ReportlabTicketRenderer
from notification.adapters.pg_store import PgUnitOfWork, open_pool
from notification.adapters.smtp_mailer import SmtpMailer
from notification.service_layer.dead_letter_admin import DeadLetterAdmin
from notification.service_layer.ports import Mailer
from notification.service_layer.ticket_access import TicketAccess
from notification.service_layer.ticket_delivery import TicketDelivery
from notification.settings import NotificationSettings


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Container:
    settings: NotificationSettings
    pool: ConnectionPool[psycopg.Connection[dict[str, Any]]]
    delivery: TicketDelivery
    access: TicketAccess
    dead_letters: DeadLetterAdmin
    verifier: TokenVerifier
    clock: Callable[[], datetime]
    # The process's metrics: the mailer counts here; the server or consumer serving /metrics adds its own.
    registry: CollectorRegistry = field(default_factory=new_registry)

    def close(self) -> None:
        self.pool.close()


def build(
    settings: NotificationSettings,
    *,
    clock: Callable[[], datetime] = utc_now,
    verifier: TokenVerifier | None = None,
    mailer: Mailer | None = None,
) -> Container:
    pool = open_pool(settings.libpq_url, settings.db_pool_size)

    def unit_of_work() -> PgUnitOfWork:
        return PgUnitOfWork(pool)

    storage = FilePdfStorage(settings.storage_dir)
    registry = new_registry()
    sender = CountedMailer(mailer or SmtpMailer(settings.smtp), registry)
    delivery = TicketDelivery(unit_of_work, ReportlabTicketRenderer(), storage, sender, clock)
    token_verifier = verifier or JwksTokenVerifier(
        TokenPolicy(issuer=settings.oidc_issuer, audience=settings.oidc_audience, jwks_url=settings.jwks_url)
    )
    return Container(
        settings=settings,
        pool=pool,
        delivery=delivery,
        access=TicketAccess(unit_of_work, storage, clock, settings.resend),
        dead_letters=DeadLetterAdmin(RabbitDeadLetters(settings.amqp_url, settings.queue)),
        verifier=token_verifier,
        clock=clock,
        registry=registry,
    )
