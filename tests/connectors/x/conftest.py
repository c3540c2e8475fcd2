"""X connector fixtures: the simulator as X, and the webhook routes on a real loopback server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from connectors.x import webhook
from connectors.x.api import XApiClient, build_client
from sandbox.simulator.x import XSimulator
from tests.connectors.x.recorder import ACCOUNT_ID, Inbox


@pytest.fixture
async def simulator() -> AsyncIterator[XSimulator]:
    async with XSimulator(account_id=ACCOUNT_ID) as sim:
        yield sim


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


@pytest.fixture
async def gateway(
    simulator: XSimulator,
    inbox: Inbox,
    aiohttp_server: Callable[[web.Application], Coroutine[Any, Any, TestServer]],
) -> str:
    """The webhook URL of a real server running the X routes, accepting into `inbox`."""
    app = web.Application()
    app.add_routes(webhook.routes(inbox.accept, simulator.settings()))
    server = await aiohttp_server(app)
    return str(server.make_url(webhook.PATH))


@pytest.fixture
def x_client(simulator: XSimulator) -> XApiClient:
    """tweepy's async client with X_API_URL pointing at the simulator."""
    return build_client(simulator.settings())
