"""The notification schema: Alembic's migrated database and the SQLAlchemy tables agree, and the service
keeps its own version table inside its own schema (so booking's migrations never see it)."""

from __future__ import annotations

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from apextick_platform.settings import sqlalchemy_url
from notification.adapters.orm import SCHEMA, metadata

pytestmark = pytest.mark.integration


def test_the_migrated_notification_schema_matches_the_tables(notification_db: str) -> None:
    engine = create_engine(sqlalchemy_url(notification_db))
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection,
                opts={
                    "include_schemas": True,
                    "include_name": lambda name, kind, _parent: kind != "schema" or name == SCHEMA,
                    "include_object": lambda _obj, name, kind, *_: (
                        not (kind == "table" and name == "alembic_version")
                    ),
                    "compare_type": True,
                },
            )
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()


def test_notification_keeps_its_own_alembic_version(notification_db: str) -> None:
    with psycopg.connect(notification_db) as db:
        own = db.execute("SELECT version_num FROM notification.alembic_version").fetchall()
        booking = db.execute("SELECT version_num FROM public.alembic_version").fetchall()
    assert own == [("n0001",)]
    assert booking
    assert booking != own
