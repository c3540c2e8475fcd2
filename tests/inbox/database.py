"""Database fixtures for the message path's tests (inbox, router, outbox).

Each test runs on SQLite and on PostgreSQL, on the store tests' databases (`tests/store/conftest`:
a fresh schema per session on PostgreSQL). Tests share one migrated database per backend and
empty the message tables afterwards. Import the fixtures into a folder's conftest.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session, sessionmaker

from inbox.messages import Attachment, InboundMessage
from store.db import prepare_database, session_factory
from store.models import InboxMessage, OutboxMessage, PollCursor
from tests.store.conftest import backend, new_database_url

__all__ = ["backend", "message_database", "new_database_url", "sessions"]


@pytest.fixture(scope="session")
def message_database(new_database_url: Callable[[], str]) -> Iterator[Engine]:
    """One migrated database per backend for the session (no demo data)."""
    engine = prepare_database(new_database_url(), load_demo=False)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(message_database: Engine) -> Iterator[sessionmaker[Session]]:
    """Sessions on the shared database; the message tables are emptied after the test."""
    yield session_factory(message_database)
    with message_database.begin() as connection:
        for table in (OutboxMessage, InboxMessage, PollCursor):
            connection.execute(delete(table))


def customer_message(
    text: str,
    *,
    user: str = "u1",
    message_id: str | None = None,
    platform: str = "messenger",
    payload: str | None = None,
    attachments: tuple[Attachment, ...] = (),
    sent_at: datetime | None = None,
) -> InboundMessage:
    """A customer's message as a connector hands it in."""
    return InboundMessage(
        platform=platform,
        account_id="page-1",
        user_id=user,
        message_id=message_id or f"mid-{user}-{text}-{time.monotonic_ns()}",
        text=text,
        sent_at=sent_at or datetime.now(UTC),
        payload=payload,
        attachments=attachments,
        user_name=f"Customer {user}",
    )


def inbox_rows(sessions: sessionmaker[Session]) -> list[InboxMessage]:
    with sessions() as session:
        return list(session.scalars(select(InboxMessage).order_by(InboxMessage.id)))


def outbox_rows(sessions: sessionmaker[Session]) -> list[OutboxMessage]:
    with sessions() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def until(
    check: Callable[[], bool], timeout: float = 10.0, what: str = "the condition"
) -> None:
    """Wait until `check()` (run in a thread: it may read the database) holds."""
    deadline = time.monotonic() + timeout
    while not await asyncio.to_thread(check):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        await asyncio.sleep(0.05)
