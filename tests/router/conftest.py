"""Real databases (SQLite and PostgreSQL) and a fake engine on loopback for the router tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.engine_client.fake_rasa import FakeRasa
from tests.inbox.database import backend, message_database, new_database_url, sessions

__all__ = ["backend", "fake_rasa", "message_database", "new_database_url", "sessions"]


@pytest.fixture
async def fake_rasa() -> AsyncIterator[FakeRasa]:
    rasa = await FakeRasa().start()
    yield rasa
    await rasa.stop()
