"""Shared fixtures for the desk's tests.

- `database_url`: a migrated, empty database of the test's own. SQLite by default; a test runs
  on PostgreSQL too with `@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"],
  indirect=True)` (skipped where PostgreSQL is not reachable).
- `desk_data`: makes agents, tickets (as the action server records a handoff), customer
  messages and canned replies, and reads rows back.
- `fake_engine`: a stand-in for the Rasa engine on loopback that records tracker events.
- `start_desk()` / `desk_server`: the desk app as the gateway mounts it at /desk, served on
  loopback; `desk_server.client()` is a new browser-like client (its own cookies) for it.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from sqlalchemy.orm import Session, sessionmaker

from desk.live import TicketWatcher
from desk.service import ChannelRules, Desk
from desk.staff import create_agent
from desk.tickets import take_customer_message
from desk.web import create_desk_app
from desk.web.auth import CSRF_HEADER, new_secret
from desk.web.openapi import document
from desk.web.state import DESK, DESK_SESSIONS, WATCHER
from engine.client import EngineClient
from gateway.channels import CHANNELS
from settings import Settings
from store.db import make_engine, prepare_database, session_factory
from store.handoffs import NewHandoff, record_handoff
from store.models import (
    Agent,
    AgentRole,
    Base,
    CannedReply,
    HandoffRequest,
    InboxMessage,
    InboxStatus,
    OutboxMessage,
)

PAGE_ID = "page-1"  # the brand's account in conversation keys
PASSWORD = "correct horse battery staple"

# --- databases --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrated once; each test gets a copy (a migration per test would cost ~1 s each)."""
    path = tmp_path_factory.mktemp("desk-template") / "desk.db"
    prepare_database(f"sqlite:///{path}", load_demo=False).dispose()
    return path


@pytest.fixture(scope="session")
def _desk_postgres(postgres_database: str) -> Iterator[str]:
    """A PostgreSQL database for the desk's tests alone, migrated once and emptied per test.

    Made next to `postgres_database` (which skips when PostgreSQL is unreachable) rather than
    using it: that one also holds the live assistant's demo data, which emptying would remove.
    """
    name = f"{sa.engine.make_url(postgres_database).database}_desk"
    admin = sa.create_engine(postgres_database, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(postgres_database).set(database=name)
    try:
        prepare_database(url.render_as_string(hide_password=False), load_demo=False).dispose()
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _empty_postgres(url: str) -> None:
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    finally:
        engine.dispose()


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database: SQLite unless parametrized (indirect) with "postgresql"."""
    kind = getattr(request, "param", "sqlite")
    if kind == "sqlite":
        path = tmp_path / "desk.db"
        shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
        return f"sqlite:///{path}"
    assert kind == "postgresql", kind
    url = str(request.getfixturevalue("_desk_postgres"))
    _empty_postgres(url)
    return url


@pytest.fixture
def desk_sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions on the test's database (the desk app under test has its own)."""
    engine = make_engine(database_url)
    yield session_factory(engine)
    engine.dispose()


# --- data -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffMember:
    id: int
    username: str
    name: str
    password: str


class DeskData:
    """Rows as the rest of the system writes them: staff, handoffs, customers' messages."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self._users = 0

    def agent(
        self,
        username: str,
        name: str | None = None,
        *,
        role: AgentRole | str = AgentRole.AGENT,
        password: str = PASSWORD,
        active: bool = True,
    ) -> StaffMember:
        with self.sessions.begin() as session:
            agent = create_agent(session, username, name or username.title(), password, role)
            agent.active = active
            return StaffMember(agent.id, agent.username, agent.display_name, password)

    def ticket(
        self,
        platform: str = "messenger",
        user_id: str | None = None,
        *,
        reason: str = "customer_request",
        summary: str = 'Asked for a person — "I want to talk to a human"',
        customer_name: str | None = "Dana Customer",
        priority: str = "normal",
        priority_signals: tuple[str, ...] = (),
        sla_due_at: datetime | None = None,
        at: datetime | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> int:
        """A handoff request as the action server records it (an open ticket); its id."""
        if user_id is None:
            self._users += 1
            user_id = f"{4000 + self._users}"
        at = at or datetime.now(UTC)
        if context is None:
            context = {
                "intents": ["greet", "track_parcel", "human_handoff"],
                "codes": [
                    {
                        "code": "1Z5R89390357567127",
                        "kind": "tracking_number",
                        "valid": True,
                        "courier_name": "UPS",
                        "found": "in_transit",
                    }
                ],
                "transcript": [
                    {"sender": "customer", "text": "where is my parcel", "at": at.isoformat()},
                    {"sender": "bot", "text": "It is on its way.", "at": at.isoformat()},
                    {
                        "sender": "customer",
                        "text": "I want to talk to a human",
                        "at": at.isoformat(),
                    },
                ],
                "language": "en",
            }
        with self.sessions.begin() as session:
            return record_handoff(
                session,
                NewHandoff(
                    platform=platform,
                    conversation_id=f"{platform}:{PAGE_ID}:{user_id}",
                    customer_id=user_id,
                    customer_name=customer_name,
                    reason=reason,
                    summary=summary,
                    context=context,
                    priority=priority,
                    priority_signals=priority_signals,
                    sla_due_at=sla_due_at if sla_due_at else at + timedelta(hours=1),
                ),
                now=at,
            )

    def customer_writes(self, ticket_id: int, text: str, at: datetime | None = None) -> None:
        """The customer's message, as the router stores it while the ticket holds the chat."""
        at = at or datetime.now(UTC)
        with self.sessions.begin() as session:
            ticket = session.get(HandoffRequest, ticket_id)
            assert ticket is not None
            platform, account, user = ticket.conversation_id.split(":", 2)
            session.add(
                InboxMessage(
                    platform=platform,
                    account_id=account,
                    user_id=user,
                    platform_message_id=f"m-{uuid.uuid4().hex}",
                    conversation_key=ticket.conversation_id,
                    text=text,
                    attachments=[],
                    sent_at=at,
                    received_at=at,
                    status=InboxStatus.DONE,
                    attempts=1,
                    next_attempt_at=at,
                    processed_at=at,
                )
            )
            take_customer_message(session, ticket.conversation_id, at)

    def canned_reply(self, title: str, text: str) -> int:
        with self.sessions.begin() as session:
            reply = CannedReply(title=title, text=text)
            session.add(reply)
            session.flush()
            return reply.id

    def handoff(self, ticket_id: int) -> HandoffRequest:
        """The ticket's row as stored now."""
        with self.sessions() as session:
            row = session.get(HandoffRequest, ticket_id)
            assert row is not None
            session.expunge(row)
            return row

    def outbox(self, ticket_id: int | None = None) -> list[OutboxMessage]:
        with self.sessions() as session:
            query = sa.select(OutboxMessage).order_by(OutboxMessage.id)
            if ticket_id is not None:
                query = query.where(OutboxMessage.handoff_request_id == ticket_id)
            rows = list(session.scalars(query))
            session.expunge_all()
            return rows

    def staff(self, username: str) -> Agent | None:
        with self.sessions() as session:
            agent = session.scalar(sa.select(Agent).where(Agent.username == username))
            if agent is not None:
                session.expunge(agent)
            return agent


@pytest.fixture
def desk_data(desk_sessions: sessionmaker[Session]) -> DeskData:
    return DeskData(desk_sessions)


# --- the engine stand-in ----------------------------------------------------------------------


class FakeEngine:
    """The part of the Rasa engine the desk calls: appending events to a tracker (a real HTTP
    server on loopback). `events` holds (sender id, event) as received."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []
        app = web.Application()
        app.router.add_post("/conversations/{sender_id}/tracker/events", self._append)
        self.server = TestServer(app, host="127.0.0.1")

    @property
    def url(self) -> str:
        return str(self.server.make_url("")).rstrip("/")

    async def start(self) -> None:
        await self.server.start_server()

    async def stop(self) -> None:
        """The engine goes down: connections are refused from now on."""
        await self.server.close()

    async def _append(self, request: web.Request) -> web.Response:
        sender_id = request.match_info["sender_id"]
        body = await request.json()
        for event in body if isinstance(body, list) else [body]:
            self.events.append((sender_id, event))
        return web.json_response({"sender_id": sender_id, "events": []})


@pytest.fixture
async def fake_engine() -> AsyncIterator[FakeEngine]:
    engine = FakeEngine()
    await engine.start()
    yield engine
    await engine.stop()


# --- the desk app -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    headers: Mapping[str, str]


class DeskClient:
    """One browser: its own cookie jar; sends the CSRF token it was given on every POST."""

    def __init__(self, http: TestClient[Any, Any]) -> None:
        self.http = http
        self.csrf: str | None = None

    async def login(self, username: str, password: str = PASSWORD) -> Answer:
        answer = await self.post("/desk/api/login", {"username": username, "password": password})
        if answer.status == 200:
            self.csrf = answer.body["csrf_token"]
        return answer

    async def get(self, path: str, **kwargs: Any) -> Answer:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, json: Any = None, **kwargs: Any) -> Answer:
        headers = dict(kwargs.pop("headers", {}))
        if self.csrf is not None:
            headers.setdefault(CSRF_HEADER, self.csrf)
        if json is not None:
            kwargs["json"] = json
        return await self.request("POST", path, headers=headers, **kwargs)

    async def request(self, method: str, path: str, **kwargs: Any) -> Answer:
        async with self.http.request(method, path, **kwargs) as response:
            text = await response.text()
            body: Any = text
            if response.content_type == "application/json":
                body = await response.json()
            return Answer(response.status, body, dict(response.headers))


class DeskServer:
    """The desk sub-app under a parent app (as gateway/app.py mounts it), on loopback."""

    def __init__(self, app: web.Application, server: TestServer) -> None:
        self.app = app
        self.server = server
        self._clients: list[TestClient[Any, Any]] = []

    async def client(self) -> DeskClient:
        http: TestClient[Any, Any] = TestClient(self.server)
        await http.start_server()  # the server is running already: this only opens a session
        self._clients.append(http)
        return DeskClient(http)

    async def close(self) -> None:
        for http in self._clients:
            await http.close()
        self._clients.clear()
        await self.server.close()


def desk_channels() -> dict[str, ChannelRules]:
    """Every platform, able to send (the gateway says `can_send` only when configured)."""
    return {
        c.platform: ChannelRules(
            can_send=True, person_reply_window=c.person_reply_window, profile_url=c.profile_url
        )
        for c in CHANNELS
    }


def desk_application(settings: Settings, engine_url: str) -> web.Application:
    """A parent app holding the desk's state the way the gateway's `_pipeline` sets it."""
    app = web.Application(client_max_size=2 * 1024 * 1024)  # the gateway's limit
    app.add_subapp("/desk", create_desk_app(settings))

    async def desk_state(app: web.Application) -> AsyncIterator[None]:
        database = make_engine(settings.database_url)
        sessions = session_factory(database)
        async with EngineClient(engine_url, tracker_timeout=5) as engine:
            watcher = TicketWatcher(sessions)
            app[DESK_SESSIONS], app[WATCHER] = sessions, watcher
            app[DESK] = Desk(sessions, engine, desk_channels(), on_change=watcher.poke)
            watcher.start()
            try:
                yield
            finally:
                await watcher.stop()
                database.dispose()

    app.cleanup_ctx.append(desk_state)
    return app


@pytest.fixture
def desk_settings(database_url: str) -> Settings:
    # A fixed key, so a restarted app still reads the cookies the first one set.
    return Settings(database_url=database_url, desk_secret_key=new_secret(), load_demo_data=False)


StartDesk = Callable[[], Awaitable[DeskServer]]


@pytest.fixture
async def start_desk(desk_settings: Settings, fake_engine: FakeEngine) -> AsyncIterator[StartDesk]:
    """Starts a desk app on the test's database (call again for a "restarted" one)."""
    started: list[DeskServer] = []

    async def start() -> DeskServer:
        app = desk_application(desk_settings, fake_engine.url)
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        desk = DeskServer(app, server)
        started.append(desk)
        return desk

    yield start
    for desk in started:
        await desk.close()


@pytest.fixture
async def desk_server(start_desk: StartDesk) -> DeskServer:
    return await start_desk()


# --- the API's contract -----------------------------------------------------------------------


class ApiContract:
    """The OpenAPI document, and checks that an answer is one it describes."""

    def __init__(self) -> None:
        self.document = document()

    def operations(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """(METHOD, path, operation) for every documented operation."""
        for path, item in self.document["paths"].items():
            for method, operation in item.items():
                yield method.upper(), path, operation

    def check(self, method: str, path: str, answer: Answer) -> None:
        """The answer's status is documented for the route, and its body fits the schema."""
        responses = self.document["paths"][path][method.lower()]["responses"]
        assert str(answer.status) in responses, f"{method} {path}: {answer.status} undocumented"
        response = responses[str(answer.status)]
        if "$ref" in response:
            response = self.document["components"]["responses"][response["$ref"].split("/")[-1]]
        schema = response["content"]["application/json"]["schema"]
        registry = Registry().with_resource(
            "urn:desk-api", Resource.from_contents(self.document, DRAFT202012)
        )
        ref = {"$ref": "urn:desk-api" + schema["$ref"]}
        Draft202012Validator(ref, registry=registry).validate(answer.body)


@pytest.fixture(scope="session")
def api_contract() -> ApiContract:
    return ApiContract()
