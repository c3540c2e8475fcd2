"""Shared fixtures: the model is loaded and the shipped FAQ indexed once per test session."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from knowledge.search import DEFAULT_MIN_SIMILARITY, FaqIndex, build_index, load_model
from settings import REPO_ROOT

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

SHIPPED_FAQ = REPO_ROOT / "knowledge" / "faq.yml"


@pytest.fixture(scope="session")
def model() -> SentenceTransformer:
    return load_model()


@pytest.fixture(scope="session")
def index(model: SentenceTransformer) -> FaqIndex:
    # The shipped file at the tuned threshold, whatever the local environment says.
    return build_index(model, SHIPPED_FAQ, DEFAULT_MIN_SIMILARITY)
