"""The schema comes from Alembic migrations, and they match the models."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from store.db import alembic_config, make_engine, prepare_database
from store.models import Base

STORE_TABLES = {"orders", "shipments", "shipment_events", "handoff_requests"}


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_upgrade_creates_the_store_tables_in_a_new_sqlite_file(tmp_path: Path) -> None:
    database = tmp_path / "nested" / "folder" / "store.db"

    engine = prepare_database(f"sqlite:///{database}", load_demo=False)

    assert database.exists()
    assert set(inspect(engine).get_table_names()) >= STORE_TABLES
    with engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == head_revision()
    engine.dispose()


def test_sqlite_connections_use_wal_and_enforce_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    with engine.connect() as connection:
        raw = connection.connection.dbapi_connection
        assert isinstance(raw, sqlite3.Connection)
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert raw.execute("PRAGMA foreign_keys").fetchone() == (1,)
    engine.dispose()


def test_upgrade_is_a_no_op_when_already_at_head(database_url: str) -> None:
    prepare_database(database_url, load_demo=False).dispose()
    engine = prepare_database(database_url, load_demo=False)

    with engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == head_revision()
    engine.dispose()


def test_migrations_create_exactly_what_the_models_describe(migrated_engine: Engine) -> None:
    with migrated_engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)

    assert differences == []


def test_downgrade_to_base_removes_the_tables_and_upgrade_restores_them(
    migrated_engine: Engine,
) -> None:
    with migrated_engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
    assert not STORE_TABLES & set(inspect(migrated_engine).get_table_names())

    with migrated_engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")
    assert set(inspect(migrated_engine).get_table_names()) >= STORE_TABLES
