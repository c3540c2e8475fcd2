"""The desk's core on real databases: SQLite and PostgreSQL, emptied after each test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from desk.staff import create_agent
from store.db import prepare_database, session_factory
from store.handoffs import NewHandoff, record_handoff
from store.models import Agent, AgentRole, Base, HandoffReason, Priority
from tests.store.conftest import backend, new_database_url

__all__ = ["backend", "new_database_url"]


@pytest.fixture(scope="session")
def desk_database(new_database_url: Callable[[], str]) -> Iterator[Engine]:
    engine = prepare_database(new_database_url(), load_demo=False)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(desk_database: Engine) -> Iterator[sessionmaker[Session]]:
    """Sessions on the shared desk database; every table is emptied after the test."""
    yield session_factory(desk_database)
    with desk_database.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())


AddTicket = Callable[..., int]


@pytest.fixture
def add_ticket(sessions: sessionmaker[Session]) -> AddTicket:
    """Store a handoff as the action server does; returns the ticket id."""
    counter = iter(range(1, 10_000))

    def add(
        *,
        user: str | None = None,
        platform: str = "messenger",
        reason: HandoffReason = HandoffReason.CUSTOMER_REQUEST,
        priority: Priority = Priority.NORMAL,
        sla_in: timedelta | None = timedelta(minutes=60),
        created_at: datetime | None = None,
        transcript: list[dict[str, Any]] | None = None,
        codes: list[dict[str, Any]] | None = None,
    ) -> int:
        user = user or f"u{next(counter)}"
        created_at = created_at or datetime.now(UTC)
        with sessions.begin() as session:
            return record_handoff(
                session,
                NewHandoff(
                    platform=platform,
                    conversation_id=f"{platform}:page-1:{user}",
                    customer_id=user,
                    customer_name=f"Customer {user}",
                    reason=reason,
                    summary=f"Asked for a person ({user})",
                    context={
                        "intents": ["greet", "human_handoff"],
                        "codes": codes or [],
                        "transcript": transcript
                        or [
                            {"sender": "customer", "text": "hi", "at": created_at.timestamp()},
                            {"sender": "bot", "text": "Hello!", "at": created_at.timestamp()},
                        ],
                        "language": "en",
                    },
                    priority=priority,
                    sla_due_at=created_at + sla_in if sla_in else None,
                ),
                now=created_at,
            )

    return add


@pytest.fixture
def make_agent(sessions: sessionmaker[Session]) -> Callable[..., Agent]:
    def make(username: str, role: AgentRole = AgentRole.AGENT) -> Agent:
        with sessions.begin() as session:
            agent = create_agent(session, username, username.title(), "correct horse battery", role)
            session.flush()
            session.expunge(agent)
        return agent

    return make
