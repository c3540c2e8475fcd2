"""Real databases (SQLite and PostgreSQL) for these tests: see tests/inbox/database.py."""

from tests.inbox.database import backend, message_database, new_database_url, sessions

__all__ = ["backend", "message_database", "new_database_url", "sessions"]
