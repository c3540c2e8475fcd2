"""Support staff: accounts, argon2 password hashes, and sign-in throttling.

Throttling is stored in the database (`login_throttles`), per user name and per address, so it
holds across gateway processes and restarts: from the fifth failure in a row each further try
must wait, twice as long each time (2 s, 4 s, ... up to 15 minutes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import Agent, AgentRole, LoginThrottle

FREE_FAILURES = 4  # failures allowed before the waiting starts
FIRST_WAIT = 2.0
MAX_WAIT = 15 * 60.0
PASSWORD_MIN = 10
USERNAME_MAX = 100

_hasher = PasswordHasher()
# Verifying against this when the user does not exist takes as long as a real check, so the
# answer time does not tell which user names exist.
_DUMMY_HASH = _hasher.hash("not a real password, only for timing")


class StaffError(ValueError):
    """A staff change the desk refuses (message for the admin)."""


@dataclass(frozen=True)
class SignIn:
    """The outcome of a sign-in attempt."""

    agent: Agent | None  # None: refused
    retry_after: float = 0.0  # > 0: throttled, try again after this many seconds


def hash_password(password: str) -> str:
    """An argon2id hash; StaffError if the password is too short."""
    if len(password) < PASSWORD_MIN:
        raise StaffError(f"Passwords must have at least {PASSWORD_MIN} characters.")
    return _hasher.hash(password)


def create_agent(
    session: Session,
    username: str,
    display_name: str,
    password: str,
    role: AgentRole | str = AgentRole.AGENT,
) -> Agent:
    """Add a member of staff; StaffError if the name is taken or invalid."""
    username = normalise_username(username)
    if session.scalar(select(Agent.id).where(Agent.username == username)) is not None:
        raise StaffError(f"There is already a member of staff called {username!r}.")
    agent = Agent(
        username=username,
        display_name=display_name.strip() or username,
        role=AgentRole(role),
        password_hash=hash_password(password),
        active=True,
        created_at=datetime.now(UTC),
    )
    session.add(agent)
    session.flush()
    return agent


def update_agent(
    session: Session,
    agent_id: int,
    *,
    display_name: str | None = None,
    role: AgentRole | str | None = None,
    active: bool | None = None,
    password: str | None = None,
) -> Agent:
    """Change a member of staff; StaffError if there is none or the change is invalid."""
    agent = session.get(Agent, agent_id)
    if agent is None:
        raise StaffError(f"There is no member of staff {agent_id}.")
    was_admin = agent.role is AgentRole.ADMIN and agent.active
    if display_name is not None and display_name.strip():
        agent.display_name = display_name.strip()
    if role is not None:
        agent.role = AgentRole(role)
    if active is not None:
        agent.active = active
    if password:
        agent.password_hash = hash_password(password)
    if was_admin and (agent.role is not AgentRole.ADMIN or not agent.active):
        _keep_an_admin(session, agent)
    session.flush()
    return agent


def list_agents(session: Session) -> list[Agent]:
    return list(session.scalars(select(Agent).order_by(Agent.username)))


def sign_in(
    session: Session, username: str, password: str, address: str, now: datetime | None = None
) -> SignIn:
    """Check a user name and password, throttled per name and per address."""
    now = now or datetime.now(UTC)
    keys = [f"user:{normalise_username(username, strict=False)}", f"ip:{address}"]
    wait = max(_wait(session, key, now) for key in keys)
    if wait > 0:
        return SignIn(None, retry_after=wait)
    agent = session.scalar(
        select(Agent).where(Agent.username == normalise_username(username, strict=False))
    )
    if _verify(agent.password_hash if agent else _DUMMY_HASH, password) and agent and agent.active:
        for key in keys:
            row = session.get(LoginThrottle, key)
            if row is not None:
                session.delete(row)
        if _hasher.check_needs_rehash(agent.password_hash):
            agent.password_hash = _hasher.hash(password)
        session.flush()
        return SignIn(agent)
    for key in keys:
        _fail(session, key, now)
    session.flush()
    return SignIn(None)


def normalise_username(username: str, *, strict: bool = True) -> str:
    name = username.strip().lower()
    valid = 1 <= len(name) <= USERNAME_MAX and not any(c.isspace() for c in name)
    if strict and not valid:
        raise StaffError(f"User names are 1 to {USERNAME_MAX} characters without spaces.")
    return name[:USERNAME_MAX]


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _wait(session: Session, key: str, now: datetime) -> float:
    row = session.get(LoginThrottle, key)
    if row is None or row.blocked_until is None:
        return 0.0
    return max(0.0, (row.blocked_until - now).total_seconds())


def _fail(session: Session, key: str, now: datetime) -> None:
    row = session.get(LoginThrottle, key)
    if row is None:
        row = LoginThrottle(key=key, failures=0, last_failure_at=now)
        session.add(row)
    row.failures += 1
    row.last_failure_at = now
    beyond = row.failures - FREE_FAILURES
    if beyond > 0:
        wait = min(MAX_WAIT, FIRST_WAIT * 2 ** (beyond - 1))
        row.blocked_until = now + timedelta(seconds=wait)


def _keep_an_admin(session: Session, changed: Agent) -> None:
    others = session.scalar(
        select(Agent.id).where(
            Agent.role == AgentRole.ADMIN, Agent.active.is_(True), Agent.id != changed.id
        )
    )
    if others is None:
        raise StaffError("The desk needs at least one active admin.")
