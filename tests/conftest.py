"""Shared fixtures: real databases (SQLite; PostgreSQL when reachable) and the live assistant."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from sandbox.chat import Chat
from sandbox.stack import Service, free_port, start_actions, start_engine

# The machine's PostgreSQL (trust auth). Each test session works in a database of its own.
POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _postgres_available() -> bool:
    try:
        with sa.create_engine(POSTGRES_ADMIN_URL).connect() as connection:
            connection.execute(sa.text("select 1"))
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this session, dropped afterwards."""
    if not _postgres_available():
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}")
    name = f"supportbot_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield (
            sa.engine.make_url(POSTGRES_ADMIN_URL)
            .set(database=name)
            .render_as_string(hide_password=False)
        )
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def stack_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("stack")


@pytest.fixture(scope="session")
def actions_port() -> int:
    return free_port()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def assistant_database(request: pytest.FixtureRequest, stack_logs: Path) -> str:
    """Each live-assistant test runs on an SQLite file and again on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{stack_logs / 'assistant.db'}"
    return str(request.getfixturevalue("postgres_database"))


@pytest.fixture(scope="session")
def action_server(
    assistant_database: str, stack_logs: Path, actions_port: int
) -> Iterator[Service]:
    service = start_actions(assistant_database, stack_logs, port=actions_port)
    yield service
    service.stop()


@pytest.fixture(scope="session")
def engine(stack_logs: Path, actions_port: int) -> Iterator[Service]:
    """One engine for the session; it reaches whichever action server is up on `actions_port`."""
    service, _ = start_engine(f"http://127.0.0.1:{actions_port}", stack_logs)
    yield service
    service.stop()


@pytest.fixture
def chat(engine: Service, action_server: Service) -> Chat:
    return Chat(engine.url)
