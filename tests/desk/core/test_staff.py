"""Staff accounts: argon2 hashes, sign-in, throttling after repeated failures, one admin kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from desk.staff import StaffError, create_agent, sign_in, update_agent
from store.models import Agent, AgentRole

PASSWORD = "correct horse battery"


def _sign_in(
    sessions: sessionmaker[Session], name: str, password: str, now: datetime, ip: str = "10.0.0.1"
) -> tuple[int | None, float]:
    with sessions.begin() as session:
        result = sign_in(session, name, password, ip, now=now)
        return (result.agent.id if result.agent else None), result.retry_after


def test_passwords_are_stored_as_argon2id_hashes_and_checked(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        agent = create_agent(session, " Alice ", "Alice A.", PASSWORD)
        assert agent.username == "alice" and agent.password_hash.startswith("$argon2id$")
        assert PASSWORD not in agent.password_hash
        agent_id = agent.id
    now = datetime.now(UTC)
    assert _sign_in(sessions, "ALICE", PASSWORD, now) == (agent_id, 0.0)
    assert _sign_in(sessions, "alice", "wrong password", now) == (None, 0.0)
    assert _sign_in(sessions, "nobody", PASSWORD, now) == (None, 0.0)


def test_the_fifth_failure_in_a_row_makes_the_next_try_wait_even_with_the_right_password(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        agent_id = create_agent(session, "alice", "Alice", PASSWORD).id
    now = datetime.now(UTC)
    for _ in range(5):
        assert _sign_in(sessions, "alice", "guess", now) == (None, 0.0)

    refused, wait = _sign_in(sessions, "alice", PASSWORD, now)
    assert refused is None and wait == pytest.approx(2.0)
    # From another address too: the user name itself is throttled.
    assert _sign_in(sessions, "alice", PASSWORD, now, ip="10.9.9.9")[0] is None

    assert _sign_in(sessions, "alice", PASSWORD, now + timedelta(seconds=2.1)) == (agent_id, 0.0)
    # Success clears the count: one failure later costs nothing.
    assert _sign_in(sessions, "alice", "guess", now + timedelta(seconds=3)) == (None, 0.0)


def test_each_further_failure_doubles_the_wait(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        create_agent(session, "alice", "Alice", PASSWORD)
    now = datetime.now(UTC)
    waits = []
    for _ in range(7):
        _sign_in(sessions, "alice", "guess", now)
        waits.append(_sign_in(sessions, "alice", "guess", now)[1])
        now += timedelta(hours=1)  # past any wait, so every try counts as a failure
    # Two tries an hour: the 5th failure starts the waiting; refused tries do not count.
    assert waits == [pytest.approx(w) for w in (0.0, 0.0, 2.0, 4.0, 8.0, 16.0, 32.0)]


def test_a_deactivated_agent_cannot_sign_in(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        create_agent(session, "root", "Root", PASSWORD, AgentRole.ADMIN)
        agent = create_agent(session, "alice", "Alice", PASSWORD)
        update_agent(session, agent.id, active=False)
    assert _sign_in(sessions, "alice", PASSWORD, datetime.now(UTC))[0] is None


def test_the_last_active_admin_cannot_be_demoted_or_deactivated(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        root = create_agent(session, "root", "Root", PASSWORD, AgentRole.ADMIN)
        root_id = root.id
    for change in ({"active": False}, {"role": AgentRole.AGENT}):
        with (
            pytest.raises(StaffError, match="at least one active admin"),
            sessions.begin() as session,
        ):
            update_agent(session, root_id, **change)  # type: ignore[arg-type]
    with sessions() as session:
        stored = session.get(Agent, root_id)
        assert stored is not None and stored.active and stored.role is AgentRole.ADMIN


def test_names_must_be_unique_and_passwords_long_enough(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        create_agent(session, "alice", "Alice", PASSWORD)
    with (
        pytest.raises(StaffError, match="already a member of staff called 'alice'"),
        sessions.begin() as session,
    ):
        create_agent(session, "ALICE", "Other Alice", PASSWORD)
    with pytest.raises(StaffError, match="at least 10 characters"), sessions.begin() as session:
        create_agent(session, "bob", "Bob", "short")
