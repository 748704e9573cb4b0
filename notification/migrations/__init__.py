"""Alembic migrations of the notification schema: its own history and version table, so the booking and
notification services migrate independently even when they share one PostgreSQL database."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

HERE = Path(__file__).parent
VERSION_TABLE = "alembic_version"  # inside schema `notification`, apart from booking's


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade_to_head(database_url: str) -> None:
    command.upgrade(alembic_config(database_url), "head")
