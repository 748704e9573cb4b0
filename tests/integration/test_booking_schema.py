"""Booking's schema: the database Alembic migrates and the typed models (orm.py, orm_orders.py) agree."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from apextick_platform.settings import sqlalchemy_url
from booking.adapters import orm_gates, orm_orders, orm_waiting_room  # noqa: F401 - registers their tables
from booking.adapters.orm import Base

pytestmark = pytest.mark.integration


def test_the_migrated_booking_schema_matches_the_models(database_url: str) -> None:
    engine = create_engine(sqlalchemy_url(database_url))
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection,
                opts={
                    "include_object": lambda _obj, name, kind, *_: (
                        not (kind == "table" and name == "alembic_version")
                    ),
                    "compare_type": True,
                },
            )
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()
