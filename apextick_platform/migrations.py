"""Alembic in code (no alembic.ini): each service hands over its own migration folder, and there is no
default, so one service can never migrate with another's scripts by accident."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config


def alembic_config(database_url: str, script_location: Path) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade_to_head(database_url: str, script_location: Path) -> None:
    command.upgrade(alembic_config(database_url, script_location), "head")
