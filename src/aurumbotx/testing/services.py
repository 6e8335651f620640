"""pytest fixtures for real PostgreSQL and Redis.

Outside CI a missing service skips the tests that need it; under CI=true it fails them, so a
green CI always means those tests ran. URLs come from AURUMBOTX_TEST_DATABASE_URL and
AURUMBOTX_TEST_REDIS_URL (defaults: the local services of the development machine).
Each PostgreSQL test gets a fresh database of its own, dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import redis
import sqlalchemy as sa
from sqlalchemy.engine import make_url

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"


def in_ci() -> bool:
    """True when running under CI (CI=true)."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def service_missing(service: str, reason: str) -> None:
    """Fail under CI, skip elsewhere."""
    message = f"{service} unavailable: {reason}"
    if in_ci():
        pytest.fail(f"{message} (required under CI=true)", pytrace=False)
    pytest.skip(message)


def postgres_admin_url() -> str:
    """The URL of the PostgreSQL database used to create per-test databases."""
    url = os.environ.get("AURUMBOTX_TEST_DATABASE_URL", DEFAULT_PG_URL)
    parsed = make_url(url)
    if parsed.get_driver_name() in ("", "psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[sa.Engine]:
    """An AUTOCOMMIT engine on the test server (skips/fails when unreachable)."""
    engine = sa.create_engine(
        postgres_admin_url(), isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
    )
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as error:
        engine.dispose()
        service_missing("PostgreSQL", str(error.orig).strip().splitlines()[0])
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_url(postgres_admin: sa.Engine) -> Iterator[str]:
    """The URL of a fresh, empty PostgreSQL database, dropped after the test."""
    name = f"abx_test_{uuid.uuid4().hex[:12]}"
    with postgres_admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = postgres_admin.url.set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with postgres_admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The URL of the test Redis (skips/fails when unreachable)."""
    url = os.environ.get("AURUMBOTX_TEST_REDIS_URL", DEFAULT_REDIS_URL)
    client = redis.Redis.from_url(url, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as error:
        service_missing("Redis", str(error))
    finally:
        client.close()
    return url


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    """A client on the test Redis database, flushed before and after the test."""
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()
