"""Customers' names on Messenger tickets: the gateway asks the (simulated) Graph API for them in
the background and the desk shows them. The gateway runs in-process over real HTTP on loopback,
on its own SQLite file; the engine is down (nothing here needs it)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.orm import Session, sessionmaker

from connectors.messenger import MessengerProfiles
from desk.names import NameFiller
from desk.service import ChannelRules, Desk
from desk.staff import create_agent
from desk.web.auth import new_secret
from engine.client import EngineClient
from gateway.app import create_app
from sandbox.simulator.messenger import MessengerSimulator
from sandbox.stack import free_port
from settings import Settings
from store.db import session_factory
from store.handoffs import NewHandoff, record_handoff
from store.models import HandoffRequest
from tests.desk.conftest import DeskData, FakeEngine

PASSWORD = "correct horse battery"
PAGE_ID = "100000000000001"


@dataclass
class Gateway:
    client: TestClient[Any, Any]
    sessions: sessionmaker[Session]
    messenger: MessengerSimulator

    def ticket(self, platform: str, user_id: str, customer_name: str | None = None) -> int:
        """A ticket as the action server records it: on Messenger, without a name."""
        with self.sessions.begin() as session:
            return record_handoff(
                session,
                NewHandoff(
                    platform=platform,
                    conversation_id=f"{platform}:{PAGE_ID}:{user_id}",
                    customer_id=user_id,
                    customer_name=customer_name,
                    reason="customer_request",
                    summary='Asked for a person — "I want to talk to a human"',
                ),
            )

    def row(self, ticket_id: int) -> HandoffRequest:
        with self.sessions() as session:
            row = session.get(HandoffRequest, ticket_id)
            assert row is not None
            session.expunge(row)
            return row

    async def customer(self, ticket_id: int) -> dict[str, Any]:
        async with self.client.get(f"/desk/api/tickets/{ticket_id}") as answer:
            assert answer.status == 200
            body: dict[str, Any] = await answer.json()
            return dict(body["customer"])

    async def name_shown(self, ticket_id: int, within: float = 2.0) -> str | None:
        """The name the desk shows for the ticket, once it has one (None after `within` s)."""
        deadline = time.monotonic() + within
        while True:
            name = (await self.customer(ticket_id))["name"]
            if name is not None or time.monotonic() > deadline:
                return name if isinstance(name, str) else None
            await asyncio.sleep(0.05)

    def lookups_of(self, user_id: str) -> int:
        return sum(1 for lookup in self.messenger.lookups if lookup.user_id == user_id)


@pytest.fixture
async def gateway(tmp_path: Path) -> AsyncIterator[Gateway]:
    async with MessengerSimulator(
        app_secret="app-secret", page_id=PAGE_ID, page_access_token="page-token"
    ) as sim:
        settings = Settings(
            database_url=f"sqlite:///{tmp_path / 'desk.db'}",
            load_demo_data=False,
            engine_url=f"http://127.0.0.1:{free_port()}",
            desk_secret_key=new_secret(),
            messenger_page_access_token="page-token",
            graph_api_url=sim.graph_api_url,
        )
        client = TestClient(TestServer(create_app(settings), host="127.0.0.1"))
        await client.start_server()  # migrates the database
        sessions = session_factory(settings.database_url)
        with sessions.begin() as session:
            create_agent(session, "alice", "Alice Moss", PASSWORD)
        login = await client.post(
            "/desk/api/login", json={"username": "alice", "password": PASSWORD}
        )
        assert login.status == 200
        try:
            yield Gateway(client, sessions, sim)
        finally:
            await client.close()


async def test_a_messenger_ticket_gets_the_customers_name_from_the_graph_api(
    gateway: Gateway,
) -> None:
    gateway.messenger.add_profile("772535985081", "Giulia Rossi")
    ticket_id = gateway.ticket("messenger", "772535985081")
    created = gateway.row(ticket_id).updated_at

    assert await gateway.name_shown(ticket_id) == "Giulia Rossi"
    row = gateway.row(ticket_id)
    assert row.customer_name == "Giulia Rossi"
    assert row.updated_at > created  # so open consoles refresh
    async with gateway.client.get("/desk/api/tickets") as queue:
        [listed] = (await queue.json())["tickets"]
    assert listed["customer"]["name"] == "Giulia Rossi"
    async with gateway.client.get("/desk/") as page:
        assert "Giulia Rossi" in await page.text()
    assert gateway.lookups_of("772535985081") == 1


async def test_the_sandbox_customers_name_reaches_the_ticket(gateway: Gateway) -> None:
    # The sandbox page posts a named customer's message this way; the name is not in the
    # webhook, only in the simulator's profiles.
    gateway.messenger.message_event("4010", "I want to talk to a human", name="Sam Okafor")
    ticket_id = gateway.ticket("messenger", "4010")

    assert await gateway.name_shown(ticket_id) == "Sam Okafor"


async def test_x_tickets_named_tickets_and_unknown_customers_are_left_alone(
    gateway: Gateway,
) -> None:
    # Traps: the Graph API would know these ids, so asking it for them would show.
    for user_id in ("4002", "4005"):
        gateway.messenger.add_profile(user_id, "Wrong Person")
    x_ticket = gateway.ticket("x", "4002")
    named = gateway.ticket("messenger", "4005", customer_name="Dana Scully")
    unknown = gateway.ticket("messenger", "4003")
    unknown_updated = gateway.row(unknown).updated_at
    # A later ticket is filled after the unknown customer's lookup failed: the failure is
    # remembered, not asked again on every change of the tickets.
    gateway.messenger.add_profile("4004", "Ann Lee")
    await asyncio.sleep(0.5)
    later = gateway.ticket("messenger", "4004")
    assert await gateway.name_shown(later) == "Ann Lee"

    assert await gateway.name_shown(unknown, within=0) is None
    assert gateway.row(unknown).updated_at == unknown_updated
    assert gateway.lookups_of("4003") == 1
    assert (await gateway.customer(x_ticket))["name"] is None
    assert (await gateway.customer(named))["name"] == "Dana Scully"
    assert gateway.lookups_of("4002") == gateway.lookups_of("4005") == 0


async def test_a_refused_lookup_leaves_the_ticket_nameless_without_retrying_at_once(
    gateway: Gateway,
) -> None:
    gateway.messenger.add_profile("4020", "Giulia Rossi")
    gateway.messenger.fail_next_lookups(status=500)
    ticket_id = gateway.ticket("messenger", "4020")

    assert await gateway.name_shown(ticket_id, within=1.0) is None
    gateway.ticket("messenger", "4021")  # another change of the tickets: no second try yet
    await asyncio.sleep(0.5)
    assert await gateway.name_shown(ticket_id, within=0) is None
    assert gateway.lookups_of("4020") == 1


async def test_a_failed_lookup_is_tried_again_once_its_wait_is_over(
    desk_sessions: sessionmaker[Session], desk_data: DeskData, fake_engine: FakeEngine
) -> None:
    async with (
        MessengerSimulator(app_secret="s", page_access_token="page-token") as sim,
        aiohttp.ClientSession() as http,
        EngineClient(fake_engine.url) as engine,
    ):
        profiles = MessengerProfiles(
            page_access_token="page-token", graph_api_url=sim.graph_api_url, session=http
        )
        desk = Desk(desk_sessions, engine, {"messenger": ChannelRules(lookup_name=profiles.name)})
        filler = NameFiller(desk, retry_after=0.5)
        ticket_id = desk_data.ticket("messenger", "4030", customer_name=None)
        sim.add_profile("4030", "Giulia Rossi")
        sim.fail_next_lookups(status=500)

        assert await filler.fill_missing() == 0
        assert await filler.fill_missing() == 0  # still waiting: not asked
        assert len(sim.lookups) == 1
        await asyncio.sleep(0.6)
        assert await filler.fill_missing() == 1
        assert len(sim.lookups) == 2
        assert desk_data.handoff(ticket_id).customer_name == "Giulia Rossi"
