"""The events' refund policy: customers may ask for refunds until N hours before the start, or never.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 15:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # NULL: no customer refunds (every event before this revision keeps that).
    op.execute("ALTER TABLE event ADD COLUMN refund_until_hours integer")


def downgrade() -> None:
    op.execute("ALTER TABLE event DROP COLUMN IF EXISTS refund_until_hours")
