"""Process-wide resources of the action server, built once on first use."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy.orm import Session, sessionmaker

from settings import get_settings
from store.db import make_engine, session_factory


@lru_cache(maxsize=1)
def sessions() -> sessionmaker[Session]:
    """Sessions on the app database (the schema is prepared when the server starts)."""
    return session_factory(make_engine(get_settings().database_url))
