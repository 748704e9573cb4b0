"""Alembic migrations: the only way the booking schema changes."""

from __future__ import annotations

from pathlib import Path

from apextick_platform import migrations

HERE = Path(__file__).parent


def upgrade_to_head(database_url: str) -> None:
    migrations.upgrade_to_head(database_url, HERE)
