"""Fixtures for the store tests: every database test runs on SQLite and on PostgreSQL.

PostgreSQL isolation: each test database is a fresh schema with a random name in the shared
`test` database, selected through the connection's search_path, and dropped at the end of the
session. No table outside those schemas is ever created or dropped.
The server is TEST_POSTGRES_URL (default: the local `test` database, user postgres).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from store.db import prepare_database, session_factory
from store.demo import load_demo_data
from store.models import Base

POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
# The demo data set's relative dates are resolved against this instant in the lookup tests.
DEMO_NOW = datetime(2025, 3, 12, 10, 0, tzinfo=UTC)


def _libpq_dsn(url: str) -> str:
    """The plain libpq connection string for a SQLAlchemy URL (for psycopg directly)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _postgres_unavailable() -> str | None:
    """Why PostgreSQL cannot be used, or None when it can."""
    try:
        with psycopg.connect(_libpq_dsn(POSTGRES_URL), connect_timeout=3):
            return None
    except psycopg.Error as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error)
        return f"PostgreSQL at {make_url(POSTGRES_URL)!r} is unreachable: {first_line}"


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """Which database the test runs on."""
    name: str = request.param
    if name == "postgresql":
        reason = _postgres_unavailable()
        if reason:
            pytest.skip(reason)
    return name


@pytest.fixture(scope="session")
def new_database_url(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[], str]]:
    """Makes URLs of fresh, empty databases on the current backend; cleans them up at the end."""
    schemas: list[str] = []

    def make() -> str:
        if backend == "sqlite":
            return f"sqlite:///{tmp_path_factory.mktemp('store') / 'store.db'}"
        schema = f"store_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(_libpq_dsn(POSTGRES_URL), autocommit=True) as connection:
            connection.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        schemas.append(schema)
        url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
        return url.render_as_string(hide_password=False)

    yield make

    if schemas:
        with psycopg.connect(_libpq_dsn(POSTGRES_URL), autocommit=True) as connection:
            # Fail rather than hang if a leaked transaction still holds a lock in a schema.
            connection.execute("SET lock_timeout = '10s'")
            for schema in schemas:
                connection.execute(
                    sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
                )


@pytest.fixture
def database_url(new_database_url: Callable[[], str]) -> str:
    """A fresh, empty database (not migrated) for this test."""
    return new_database_url()


@pytest.fixture
def migrated_engine(database_url: str) -> Iterator[Engine]:
    """A fresh database migrated to the latest schema, without demo data."""
    engine = prepare_database(database_url, load_demo=False)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def shared_engine(new_database_url: Callable[[], str]) -> Iterator[Engine]:
    """One migrated database for the tests that only need empty tables (see `session`)."""
    engine = prepare_database(new_database_url(), load_demo=False)
    yield engine
    engine.dispose()


@pytest.fixture
def session(shared_engine: Engine) -> Iterator[Session]:
    """A session on a migrated database whose tables are empty; emptied again afterwards.

    Cheaper than a new database per test; the session may commit.
    """
    with session_factory(shared_engine)() as session:
        yield session
        session.rollback()
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(table.delete())
        session.commit()


@pytest.fixture(scope="session")
def demo_sessions(new_database_url: Callable[[], str]) -> Iterator[sessionmaker[Session]]:
    """Sessions on one database holding the demo data set as loaded at DEMO_NOW (read-only)."""
    engine = prepare_database(new_database_url(), load_demo=False)
    sessions = session_factory(engine)
    with sessions.begin() as session:
        load_demo_data(session, now=DEMO_NOW)
    yield sessions
    engine.dispose()


@pytest.fixture
def demo(demo_sessions: sessionmaker[Session]) -> Iterator[Session]:
    """A session on the demo database."""
    with demo_sessions() as session:
        yield session


@pytest.fixture
def demo_now() -> datetime:
    """The instant the `demo` database's relative dates were resolved against."""
    return DEMO_NOW


@pytest.fixture
def repo_root() -> Path:
    """The repository's root folder."""
    return Path(__file__).resolve().parents[2]
