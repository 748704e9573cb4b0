"""Alembic environment of the notification schema: lock and statement timeouts like booking's, the
schema created before Alembic writes its version table into it."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, text

from notification.adapters.orm import SCHEMA, metadata
from notification.migrations import VERSION_TABLE

config = context.config
target_metadata = metadata


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url") or ""
    engine = create_engine(url)
    with engine.connect() as connection:
        connection.execute(text("SET lock_timeout = '5s'"))
        connection.execute(text("SET statement_timeout = '120s'"))
        connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}"))
        connection.commit()
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            compare_type=True,
            version_table=VERSION_TABLE,
            version_table_schema=SCHEMA,
            include_schemas=True,
            include_name=lambda name, kind, _parent: kind != "schema" or name == SCHEMA,
        )
        with context.begin_transaction():
            # One migrator at a time, even when several notification processes start together; a key
            # of its own, so it never waits for a booking migration.
            connection.execute(text("SELECT pg_advisory_xact_lock(727275)"))
            context.run_migrations()
    engine.dispose()


run_migrations_online()
