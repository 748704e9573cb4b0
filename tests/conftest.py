"""Fixtures shared by the integration and end-to-end tiers: a fresh PostgreSQL database migrated to
head on the real server named by APEXTICK_DATABASE_URL (make test starts it), dropped afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from apextick_platform.settings import sqlalchemy_url
from booking.migrations import upgrade_to_head

# The notification service's fixtures live beside its helpers; registered here so every tier sees them.
pytest_plugins = ["tests.notification_fixtures"]


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture(scope="session")
def server_url() -> str:
    url = os.environ.get("APEXTICK_DATABASE_URL", "")
    if not url:
        pytest.fail(
            "APEXTICK_DATABASE_URL is not set: run the tests with `make test`, which starts PostgreSQL"
        )
    return url


TEST_REDIS_DB = 15  # tests flush their database; the running stack keeps database 0


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = os.environ.get("APEXTICK_REDIS_URL", "")
    if not url:
        pytest.fail("APEXTICK_REDIS_URL is not set: run the tests with `make test`, which starts Redis")
    return urlunsplit(urlsplit(url)._replace(path=f"/{TEST_REDIS_DB}"))


@pytest.fixture(scope="session")
def database_url(server_url: str) -> Iterator[str]:
    """A throwaway database per test session, so runs never see each other's rows."""
    name = f"apextick_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = _with_database(server_url, name)
    upgrade_to_head(sqlalchemy_url(url))
    yield url
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def amqp_url() -> str:
    url = os.environ.get("APEXTICK_AMQP_URL", "")
    if not url:
        pytest.fail("APEXTICK_AMQP_URL is not set: run the tests with `make test`, which starts RabbitMQ")
    return url
