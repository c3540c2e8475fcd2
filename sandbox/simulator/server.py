"""Both simulators running together for the local sandbox, with fixed demo credentials.

    async with Simulators(SandboxConfig.from_environ()) as simulators:
        env = simulators.gateway_environment()   # start the gateway with this environment
        await simulators.messenger.post_message(simulators.messenger_webhook_url, "42", "hi")

The credentials are not secret: they only open these simulators. The simulators listen on
loopback only, on fixed ports by default, so the gateway's environment is known before they start
(`gateway_environment(SandboxConfig.from_environ())`, or `python -m sandbox --env`).
"""

from __future__ import annotations

import dataclasses
import os
from contextlib import AsyncExitStack
from dataclasses import dataclass
from urllib.parse import urlsplit

from connectors.messenger import WEBHOOK_PATH as MESSENGER_WEBHOOK_PATH
from connectors.x.webhook import PATH as X_WEBHOOK_PATH
from sandbox.simulator.messenger import MessengerSimulator
from sandbox.simulator.x import XSimulator
from settings import Settings

LOOPBACK = "127.0.0.1"
_GRAPH_VERSION = "v21.0"


@dataclass(frozen=True)
class SandboxConfig:
    """Where the sandbox listens, where the gateway is, and the demo credentials."""

    host: str = LOOPBACK  # the page (SANDBOX_HOST); the simulators always stay on loopback
    page_port: int = 8090  # SANDBOX_PORT
    graph_port: int = 8091  # SANDBOX_GRAPH_PORT; 0: any free port
    x_port: int = 8092  # SANDBOX_X_PORT; 0: any free port
    gateway_url: str = "http://127.0.0.1:8080"  # where the simulators post webhooks
    messenger_app_secret: str = "sandbox-app-secret"
    messenger_verify_token: str = "sandbox-verify-token"
    messenger_page_id: str = "sandbox-page"
    messenger_page_access_token: str = "sandbox-page-access-token"
    x_consumer_key: str = "sandbox-x-consumer-key"
    x_consumer_secret: str = "sandbox-x-consumer-secret"
    x_access_token: str = "sandbox-x-access-token"
    x_access_token_secret: str = "sandbox-x-access-token-secret"
    x_bearer_token: str = "sandbox-x-bearer-token"
    # X user ids are numbers (the simulator sorts them as such), so the account's is one too.
    x_account_id: str = "1700000000000000001"

    @classmethod
    def from_environ(cls) -> SandboxConfig:
        """SANDBOX_HOST, SANDBOX_PORT, SANDBOX_GRAPH_PORT, SANDBOX_X_PORT and SANDBOX_GATEWAY_URL;
        without the last, the gateway's own GATEWAY_HOST and GATEWAY_PORT (so both agree)."""
        defaults, env = cls(), os.environ
        return cls(
            host=env.get("SANDBOX_HOST", defaults.host),
            page_port=int(env.get("SANDBOX_PORT", defaults.page_port)),
            graph_port=int(env.get("SANDBOX_GRAPH_PORT", defaults.graph_port)),
            x_port=int(env.get("SANDBOX_X_PORT", defaults.x_port)),
            gateway_url=env.get("SANDBOX_GATEWAY_URL") or _gateway_url(Settings()),
        )


def gateway_environment(config: SandboxConfig) -> dict[str, str]:
    """The environment the gateway needs to take the simulators' webhooks and send to them.

    Needs fixed simulator ports; with port 0 ask the running `Simulators` instead.
    """
    if not config.graph_port or not config.x_port:
        raise ValueError("the simulator ports are chosen at start: ask the running Simulators")
    return {
        "MESSENGER_APP_SECRET": config.messenger_app_secret,
        "MESSENGER_VERIFY_TOKEN": config.messenger_verify_token,
        "MESSENGER_PAGE_ACCESS_TOKEN": config.messenger_page_access_token,
        "GRAPH_API_URL": f"http://{LOOPBACK}:{config.graph_port}/{_GRAPH_VERSION}",
        "X_CONSUMER_KEY": config.x_consumer_key,
        "X_CONSUMER_SECRET": config.x_consumer_secret,
        "X_ACCESS_TOKEN": config.x_access_token,
        "X_ACCESS_TOKEN_SECRET": config.x_access_token_secret,
        "X_BEARER_TOKEN": config.x_bearer_token,
        "X_API_URL": f"http://{LOOPBACK}:{config.x_port}",
        "X_ACCOUNT_ID": config.x_account_id,
        "X_MODE": "webhook",
    }


class Simulators:
    """The Messenger and X simulators, started and stopped together."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.messenger = MessengerSimulator(
            app_secret=config.messenger_app_secret,
            page_id=config.messenger_page_id,
            page_access_token=config.messenger_page_access_token,
            version=_GRAPH_VERSION,
            host=LOOPBACK,
            port=config.graph_port,
        )
        self.x = XSimulator(
            consumer_key=config.x_consumer_key,
            consumer_secret=config.x_consumer_secret,
            access_token=config.x_access_token,
            access_token_secret=config.x_access_token_secret,
            account_id=config.x_account_id,
            host=LOOPBACK,
            port=config.x_port,
        )
        self._stack = AsyncExitStack()

    async def __aenter__(self) -> Simulators:
        async with AsyncExitStack() as stack:
            await stack.enter_async_context(self.messenger)
            await stack.enter_async_context(self.x)
            self._stack = stack.pop_all()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._stack.aclose()

    @property
    def messenger_webhook_url(self) -> str:
        return self.config.gateway_url.rstrip("/") + MESSENGER_WEBHOOK_PATH

    @property
    def x_webhook_url(self) -> str:
        return self.config.gateway_url.rstrip("/") + X_WEBHOOK_PATH

    def gateway_environment(self) -> dict[str, str]:
        """`gateway_environment` with the ports the simulators actually listen on."""
        graph_port = urlsplit(self.messenger.graph_api_url).port or 0
        bound = dataclasses.replace(self.config, graph_port=graph_port, x_port=self.x.port)
        return gateway_environment(bound)


def _gateway_url(settings: Settings) -> str:
    # A gateway listening on every interface is reached on loopback.
    host = LOOPBACK if settings.gateway_host in ("0.0.0.0", "::", "") else settings.gateway_host
    return f"http://{host}:{settings.gateway_port}"
