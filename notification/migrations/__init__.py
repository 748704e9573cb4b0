"""Alembic migrations of the notification schema: its own history and version table, so the booking and
notification services migrate independently even when they share one PostgreSQL database."""

from __future__ import annotations

from pathlib import Path

from apextick_platform import migrations

HERE = Path(__file__).parent
VERSION_TABLE = "alembic_version"  # inside schema `notification`, apart from booking's


def upgrade_to_head(database_url: str) -> None:
    migrations.upgrade_to_head(database_url, HERE)
