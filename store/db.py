"""Engines, sessions, and getting a database ready (schema migrated, demo data loaded).

    python -m store.db [--database-url URL] [--no-demo]   # prepare it by hand (`make setup`)

`prepare_database` may run in several processes at once (action server replicas starting
together): the whole upgrade + demo load happens under one lock per database, a PostgreSQL
advisory lock or a lock file next to the SQLite file, so only one of them does the work.
"""

from __future__ import annotations

import argparse
import fcntl
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from settings import get_settings
from store.demo import load_demo_data
from store.models import Base, Order

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# Any fixed 64-bit number; only has to differ from other advisory locks taken on the same database.
_PG_MIGRATION_LOCK_KEY = 7_231_004_118


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """An engine for `url` (default: settings.database_url); SQLite is set up for concurrent use."""
    url = url or get_settings().database_url
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, **kwargs)

    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    # Wait for a writer in another process instead of failing at once with "database is locked".
    connect_args = {"timeout": 30, **kwargs.pop("connect_args", {})}
    engine = create_engine(url, connect_args=connect_args, **kwargs)
    event.listen(engine, "connect", _configure_sqlite_connection)
    return engine


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the bot read while an import writes; SQLite leaves foreign keys off by default.
    cursor = dbapi_connection.cursor()
    try:
        _use_wal(cursor)
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def _use_wal(cursor: Any, attempts: int = 100) -> None:
    # Switching a new file to WAL takes an exclusive lock; when two processes try at the same
    # moment, SQLite fails one at once ("database is locked") without waiting. Retry briefly:
    # once the other has switched, the PRAGMA is a no-op.
    for attempt in range(attempts):
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or attempt == attempts - 1:
                raise
            time.sleep(0.05)


def session_factory(engine: Engine | str | None = None) -> sessionmaker[Session]:
    """A session maker for `engine` (or a URL, or settings.database_url).

    Objects stay readable after commit, so callers can use what they wrote once the session ends.
    Typical use: `with session_factory().begin() as session: ...` (commits on success).
    """
    if not isinstance(engine, Engine):
        engine = make_engine(engine)
    return sessionmaker(bind=engine, expire_on_commit=False)


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Config:
    """An Alembic config for our migrations that works without `alembic.ini` on disk."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        # ConfigParser interpolation would choke on a % in a password.
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@contextmanager
def migration_lock(connection: Connection) -> Iterator[None]:
    """Hold the database-wide "preparing the schema" lock for the duration of the block.

    On PostgreSQL it is a transaction-level advisory lock: it is released when the caller's
    transaction ends, so the block must run inside that transaction.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK_KEY}
        )
        yield
        return
    database = connection.engine.url.database
    if connection.dialect.name != "sqlite" or not database or database == ":memory:":
        # No other process can see an in-memory database; other backends are unsupported.
        yield
        return
    with open(f"{database}.lock", "a+b") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def upgrade_schema(connection: Connection) -> None:
    """Run `alembic upgrade head` on `connection` (inside its current transaction)."""
    command.upgrade(alembic_config(connection), "head")


def prepare_database(url: str | None = None, *, load_demo: bool | None = None) -> Engine:
    """Migrate the database to the latest schema; load the demo data set if wanted and empty.

    `load_demo` defaults to settings.load_demo_data. Safe to call from several processes at once.
    Returns the engine, ready for `session_factory`.
    """
    if load_demo is None:
        load_demo = get_settings().load_demo_data
    engine = make_engine(url)
    with engine.connect() as connection, migration_lock(connection):
        # One transaction for both steps: on PostgreSQL the lock lasts until this commit.
        upgrade_schema(connection)
        if load_demo and not _has_orders(connection):
            with Session(bind=connection) as session:
                load_demo_data(session)
                session.flush()
        connection.commit()
    return engine


def _has_orders(connection: Connection) -> bool:
    return bool(connection.scalar(select(func.count()).select_from(Order)))


def main(argv: Sequence[str] | None = None) -> int:
    """The CLI: prepare the database and say what it holds."""
    parser = argparse.ArgumentParser(
        prog="python -m store.db",
        description="Migrate the store's database to the latest schema; load the demo data "
        "set if LOAD_DEMO_DATA is true and the store has no orders.",
    )
    parser.add_argument("--database-url", help="SQLAlchemy URL (default: settings.database_url)")
    parser.add_argument("--no-demo", action="store_true", help="never load the demo data set")
    args = parser.parse_args(argv)
    engine = prepare_database(args.database_url, load_demo=False if args.no_demo else None)
    try:
        with engine.connect() as connection:
            orders = connection.scalar(select(func.count()).select_from(Order))
    finally:
        engine.dispose()
    print(f"database ready: {engine.url.render_as_string(hide_password=True)} ({orders} orders)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


def insert_ignoring_duplicates(session: Session, model: type[Base], unique: list[str]) -> Any:
    """INSERT … ON CONFLICT (`unique`) DO NOTHING for `model`, in the session's dialect.

    How a redelivered webhook or a re-run turn becomes a no-op on SQLite and PostgreSQL alike.
    """
    dialect = session.get_bind().dialect.name
    # On the table rather than the mapped class: the rows are plain dicts, and the ORM's bulk
    # insert path cost ~0.35 ms more per statement (one per customer message, one per turn).
    table = Base.metadata.tables[model.__tablename__]
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=unique)
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing(index_elements=unique)
    raise NotImplementedError(f"the store supports SQLite and PostgreSQL, not {dialect}")
