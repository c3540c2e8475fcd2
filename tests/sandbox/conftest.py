"""Fixtures: the sandbox page (and its simulators) posting to a stand-in gateway on loopback."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from sandbox.page import page_app
from sandbox.page.app import SIMULATORS
from sandbox.simulator.server import SandboxConfig, Simulators
from settings import Settings
from tests.sandbox.stand_in_gateway import StandInGateway

DEMO = SandboxConfig()

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]
ClientFactory = Callable[[web.Application], Awaitable[TestClient[web.Request, web.Application]]]


@pytest.fixture
def gateway() -> StandInGateway:
    return StandInGateway(DEMO.messenger_app_secret, DEMO.x_consumer_secret)


@pytest.fixture
async def gateway_url(aiohttp_server: ServerFactory, gateway: StandInGateway) -> str:
    server = await aiohttp_server(gateway.app())
    return str(server.make_url(""))


@pytest.fixture
def config(gateway_url: str) -> SandboxConfig:
    """The demo configuration on free ports, posting to the stand-in gateway."""
    return SandboxConfig(graph_port=0, x_port=0, gateway_url=gateway_url)


@pytest.fixture
async def page(
    aiohttp_client: ClientFactory, config: SandboxConfig
) -> TestClient[web.Request, web.Application]:
    """A client of the running sandbox page (its simulators started with it)."""
    return await aiohttp_client(page_app(config))


@pytest.fixture
def simulators(page: TestClient[web.Request, web.Application]) -> Simulators:
    return page.app[SIMULATORS]


@pytest.fixture
def gateway_settings(simulators: Simulators) -> Settings:
    """The settings the gateway would read from the environment the sandbox gives it."""
    values = {key.lower(): value for key, value in simulators.gateway_environment().items()}
    return Settings(_env_file=None, **values)
