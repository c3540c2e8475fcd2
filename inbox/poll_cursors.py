"""Where pollers keep the newest platform event they have seen, per account (`poll_cursors`)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from store.models import PollCursor


def read_poll_cursor(
    session_factory: sessionmaker[Session], platform: str, account_id: str
) -> str | None:
    """The newest event id seen for this account, or None before the first poll."""
    with session_factory() as session:
        cursor = session.get(PollCursor, (platform, account_id))
        return cursor.newest_event_id if cursor else None


def save_poll_cursor(
    session_factory: sessionmaker[Session], platform: str, account_id: str, newest_event_id: str
) -> None:
    """Remember `newest_event_id` for this account (call it after the messages are accepted)."""
    with session_factory.begin() as session:
        # merge: insert the first time, update afterwards; one poller per account writes it.
        session.merge(
            PollCursor(
                platform=platform,
                account_id=account_id,
                newest_event_id=newest_event_id,
                updated_at=datetime.now(UTC),
            )
        )


class DatabaseCursorStore:
    """The pollers' async cursor store (`get`/`set` per account), kept in `poll_cursors`."""

    def __init__(self, session_factory: sessionmaker[Session], platform: str) -> None:
        self.session_factory = session_factory
        self.platform = platform

    async def get(self, account_id: str) -> str | None:
        return await asyncio.to_thread(
            read_poll_cursor, self.session_factory, self.platform, account_id
        )

    async def set(self, account_id: str, event_id: str) -> None:
        await asyncio.to_thread(
            save_poll_cursor, self.session_factory, self.platform, account_id, event_id
        )
