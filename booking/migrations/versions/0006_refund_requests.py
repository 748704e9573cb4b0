"""Refunds asked for (event cancellation, organizers, admins, customers), a lease on each refund call,
and the audit log of money actions.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 14:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DDL = [
    # Who asked for the refund and with which request id: a retry of the same request finds its own
    # refund and answers as the first time; another request finds the order already refunded.
    "ALTER TABLE refund ADD COLUMN requested_by varchar(255) NOT NULL DEFAULT ''",
    "ALTER TABLE refund ADD COLUMN request_id varchar(64) NOT NULL DEFAULT ''",
    # Whoever is calling the provider holds the refund until this time, so a reconciler round and the
    # request that made the refund never call the provider for it at once.
    "ALTER TABLE refund ADD COLUMN leased_until timestamptz",
    """
    CREATE TABLE audit_log (
        id bigserial PRIMARY KEY,
        actor varchar(255) NOT NULL,
        action varchar(40) NOT NULL,
        target varchar(120) NOT NULL,
        request_id varchar(64) NOT NULL,
        detail jsonb NOT NULL DEFAULT '{}'::jsonb,
        at timestamptz NOT NULL,
        CONSTRAINT uq_audit_log_request UNIQUE (actor, action, request_id)
    )
    """,
    "CREATE INDEX ix_audit_log_at ON audit_log (at DESC, id DESC)",
]


def upgrade() -> None:
    for statement in DDL:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS audit_log")
    for column in ("leased_until", "request_id", "requested_by"):
        op.execute(f"ALTER TABLE refund DROP COLUMN IF EXISTS {column}")
