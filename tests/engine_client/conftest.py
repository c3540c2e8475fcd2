"""A fake engine on loopback for each test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.engine_client.fake_rasa import FakeRasa


@pytest.fixture
async def fake_rasa() -> AsyncIterator[FakeRasa]:
    rasa = await FakeRasa().start()
    yield rasa
    await rasa.stop()
