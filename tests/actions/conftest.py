from __future__ import annotations

from typing import Any

import pytest

from tests.actions.trackers import load_domain


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    return load_domain()
