from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from actions.runtime import sessions
from settings import get_settings
from store.db import prepare_database
from tests.actions.trackers import load_domain


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    return load_domain()


@pytest.fixture
def store_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The action server's database for one test: a fresh SQLite file with the demo data."""
    url = f"sqlite:///{tmp_path / 'actions.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    sessions.cache_clear()
    prepare_database(url, load_demo=True).dispose()
    yield url
    get_settings.cache_clear()
    sessions.cache_clear()
