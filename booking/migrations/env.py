"""Alembic environment: online migrations with lock and statement timeouts, so a migration
never queues behind a long transaction while blocking every seat claim behind itself."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, text

from booking.adapters import orm_gates, orm_orders  # noqa: F401 - registers their tables on Base.metadata
from booking.adapters.orm import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url") or ""
    engine = create_engine(url)
    with engine.connect() as connection:
        connection.execute(text("SET lock_timeout = '5s'"))
        connection.execute(text("SET statement_timeout = '120s'"))
        connection.commit()
        context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
        with context.begin_transaction():
            # One migrator at a time, even when several booking replicas start together.
            connection.execute(text("SELECT pg_advisory_xact_lock(727274)"))
            context.run_migrations()
    engine.dispose()


run_migrations_online()
