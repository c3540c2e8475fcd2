"""Fixtures: the connector's routes on a real loopback server, and the simulator as Graph API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from connectors.messenger import WEBHOOK_PATH, MessengerSender, routes
from sandbox.simulator.messenger import MessengerSimulator
from settings import Settings
from tests.connectors.messenger.inbox_recorder import AcceptRecorder

APP_SECRET = "test-app-secret"
VERIFY_TOKEN = "test-verify-token"
PAGE_ACCESS_TOKEN = "EAAG-test-page-token-do-not-leak"
PAGE_ID = "104857600000001"


@pytest.fixture
async def simulator() -> AsyncIterator[MessengerSimulator]:
    async with MessengerSimulator(
        app_secret=APP_SECRET, page_id=PAGE_ID, page_access_token=PAGE_ACCESS_TOKEN
    ) as sim:
        yield sim


@pytest.fixture
def settings(simulator: MessengerSimulator) -> Settings:
    return Settings(
        messenger_app_secret=APP_SECRET,
        messenger_verify_token=VERIFY_TOKEN,
        messenger_page_access_token=PAGE_ACCESS_TOKEN,
        graph_api_url=simulator.graph_api_url,
    )


@pytest.fixture
def accepted() -> AcceptRecorder:
    return AcceptRecorder()


@pytest.fixture
async def webhook_url(
    aiohttp_server: Callable[[web.Application], Awaitable[TestServer]],
    accepted: AcceptRecorder,
    settings: Settings,
) -> str:
    """The connector's webhook, served on loopback the way the gateway mounts it."""
    app = web.Application()
    app.add_routes(routes(accepted, settings))
    server = await aiohttp_server(app)
    return str(server.make_url(WEBHOOK_PATH))


@pytest.fixture
async def sender(settings: Settings) -> AsyncIterator[MessengerSender]:
    async with MessengerSender.from_settings(settings) as messenger_sender:
        yield messenger_sender
