"""Alembic migrations of the notification schema: its own history and version table, so the booking and
notification services migrate independently even when they share one PostgreSQL database."""

from __future__ import annotations

from pathlib import Path

from alembic import command

from booking.migrations import alembic_config

HERE = Path(__file__).parent
VERSION_TABLE = "alembic_version"  # inside schema `notification`, apart from booking's


def upgrade_to_head(database_url: str) -> None:
    command.upgrade(alembic_config(database_url, HERE), "head")
