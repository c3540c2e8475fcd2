"""The gateway as a real process under trouble: the engine down, the gateway killed (-9) mid-turn
or before the send, the Send API rate-limiting. Customers get every answer, each exactly once.

Everything runs on loopback: the session's engine and action server, the gateway started with
`sandbox.stack.start_gateway` on an SQLite file of its own, the Messenger simulator, and a TCP
proxy (tests/gateway/tcp_proxy.py) in this process to make the engine or the Graph API look
down or slow.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import aiohttp
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from sandbox.simulator.messenger import MessengerSimulator
from sandbox.stack import Service, start_gateway
from store.db import session_factory
from store.models import InboxMessage, InboxStatus, OutboxMessage, OutboxStatus
from tests.gateway.tcp_proxy import TcpProxy

pytestmark = pytest.mark.engine

APP_SECRET, VERIFY_TOKEN, PAGE_TOKEN = "app-secret", "verify-me", "page-token"
ANSWER_WITHIN = 60.0  # the router's back-off caps at 30 s
QUIET = 3.0  # after the expected answers: time enough for a duplicate to show up


@dataclass
class Stack:
    """The engine, the Messenger simulator and the gateways started on one SQLite database."""

    engine: Service
    messenger: MessengerSimulator
    database_url: str
    log_dir: Path
    gateways: list[Service] = field(default_factory=list)
    _sessions: sessionmaker[Session] | None = None

    async def start_gateway(
        self, engine_url: str | None = None, graph_api_url: str | None = None
    ) -> Service:
        environment = {
            "DATABASE_URL": self.database_url,
            "ENGINE_URL": engine_url or self.engine.url,
            "MESSENGER_APP_SECRET": APP_SECRET,
            "MESSENGER_VERIFY_TOKEN": VERIFY_TOKEN,
            "MESSENGER_PAGE_ACCESS_TOKEN": PAGE_TOKEN,
            "GRAPH_API_URL": graph_api_url or self.messenger.graph_api_url,
        }
        # In a thread: the simulator and the proxy live on this event loop and must keep serving.
        gateway = await asyncio.to_thread(start_gateway, environment, self.log_dir)
        self.gateways.append(gateway)
        return gateway

    @staticmethod
    def kill(gateway: Service) -> None:
        """`kill -9`: no clean-up, no grace period."""
        os.kill(gateway.process.pid, signal.SIGKILL)
        gateway.process.wait(timeout=10)

    def column(self, attribute: Any) -> list[Any]:
        """`attribute` (e.g. `InboxMessage.status`) of every row of its table, in id order."""
        if self._sessions is None:
            self._sessions = session_factory(self.database_url)
        table = attribute.class_
        with self._sessions() as session:
            return list(session.scalars(sa.select(attribute).order_by(table.id)))

    async def user_texts_in_tracker(self, user_id: str) -> list[str]:
        """What the engine recorded this customer saying (its tracker's user events)."""
        sender = quote(f"messenger:{self.messenger.page_id}:{user_id}", safe="")
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"{self.engine.url}/conversations/{sender}/tracker") as response,
        ):
            tracker = await response.json()
        return [e.get("text") for e in tracker["events"] if e.get("event") == "user"]

    def close(self) -> None:
        for gateway in self.gateways:
            gateway.stop()
        if self._sessions is not None:
            self._sessions.kw["bind"].dispose()


@pytest.fixture
async def stack(engine: Service, action_server: Service, tmp_path: Path) -> AsyncIterator[Stack]:
    async with MessengerSimulator(app_secret=APP_SECRET, page_access_token=PAGE_TOKEN) as sim:
        stack = Stack(engine, sim, f"sqlite:///{tmp_path / 'gateway.db'}", tmp_path)
        try:
            yield stack
        finally:
            stack.close()


@pytest.fixture
async def engine_proxy(engine: Service) -> AsyncIterator[TcpProxy]:
    proxy = TcpProxy(upstream_port=int(urlsplit(engine.url).port or 0))
    await proxy.start()
    yield proxy
    await proxy.close()


def new_customer() -> str:
    """A page-scoped id no other test (nor the other database parameter) has used: the engine
    and its conversations are shared by the whole session."""
    return str(random.randrange(10**15, 10**16))


async def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"not within {timeout} s: {what}")
        await asyncio.sleep(0.01)


async def post_and_time(stack: Stack, gateway: Service, user_id: str, text: str) -> float:
    """Post the customer's message as Meta would; the seconds the webhook took to answer 200."""
    start = time.monotonic()
    answer = await stack.messenger.post_message(gateway.url, user_id, text)
    assert answer.status == 200, answer.text
    return time.monotonic() - start


async def test_engine_down_for_10_s_delays_the_answers_but_loses_none(
    stack: Stack, engine_proxy: TcpProxy
) -> None:
    gateway = await stack.start_gateway(engine_url=engine_proxy.url)
    await engine_proxy.refuse()
    down_since = time.monotonic()
    customers = [new_customer() for _ in range(3)]
    for user_id in customers:
        # The webhook is answered once the message is stored, not after the dialogue turn.
        assert await post_and_time(stack, gateway, user_id, "hi") < 1.0

    await asyncio.sleep(10 - (time.monotonic() - down_since))
    assert not stack.messenger.sends
    # Tried and put back to wait (pending, or claimed for another try this very moment).
    assert set(stack.column(InboxMessage.status)) <= {InboxStatus.PENDING, InboxStatus.PROCESSING}
    assert min(stack.column(InboxMessage.attempts)) >= 2
    await engine_proxy.accept()

    await stack.messenger.wait_for_sends(3, timeout=ANSWER_WITHIN)
    await asyncio.sleep(QUIET)
    assert {u: len(stack.messenger.received(u)) for u in customers} == dict.fromkeys(customers, 1)
    assert stack.column(InboxMessage.status) == [InboxStatus.DONE] * 3


async def test_a_gateway_killed_mid_turn_answers_once_after_restart(
    stack: Stack, engine_proxy: TcpProxy
) -> None:
    engine_proxy.hold_responses = True  # the engine's answer to this turn waits in the proxy
    gateway = await stack.start_gateway(engine_url=engine_proxy.url)
    user_id = new_customer()
    await post_and_time(stack, gateway, user_id, "hi")
    await wait_until(
        lambda: (
            bool(engine_proxy.responses)
            and stack.column(InboxMessage.status) == [InboxStatus.PROCESSING]
        ),
        timeout=30,
        what="the engine answered the turn and the message is still processing",
    )
    stack.kill(gateway)  # after the engine finished the turn, before the gateway heard of it

    engine_proxy.hold_responses = False
    restarted = await stack.start_gateway(engine_url=engine_proxy.url)
    [answer] = await stack.messenger.wait_for_sends(1, timeout=ANSWER_WITHIN)
    await asyncio.sleep(QUIET)
    assert stack.messenger.received(user_id) == [answer.text], restarted.log()[-3000:]
    # The restarted router took the answer from the tracker instead of running the turn again.
    assert await stack.user_texts_in_tracker(user_id) == ["hi"]
    assert stack.column(InboxMessage.status) == [InboxStatus.DONE]


async def test_a_gateway_killed_between_the_answer_and_the_send_delivers_it_once(
    stack: Stack,
) -> None:
    graph_proxy = TcpProxy(upstream_port=int(urlsplit(stack.messenger.graph_api_url).port or 0))
    await graph_proxy.start()
    try:
        graph_proxy.hold_requests = True  # the Send API never hears of what this gateway sends
        graph_path = urlsplit(stack.messenger.graph_api_url).path
        gateway = await stack.start_gateway(graph_api_url=graph_proxy.url + graph_path)
        user_id = new_customer()
        await post_and_time(stack, gateway, user_id, "hi")
        await wait_until(
            lambda: (
                b'"message"' in graph_proxy.requests
                and stack.column(OutboxMessage.status) == [OutboxStatus.SENDING]
            ),
            timeout=30,
            what="the reply is in the outbox and its Send API request is in flight",
        )
        stack.kill(gateway)
    finally:
        await graph_proxy.close()  # what the dead gateway sent is never relayed

    restarted = await stack.start_gateway()  # straight to the Graph API simulator
    await stack.messenger.wait_for_sends(1, timeout=ANSWER_WITHIN)
    await asyncio.sleep(QUIET)
    assert len(stack.messenger.received(user_id)) == 1, restarted.log()[-3000:]
    assert stack.column(OutboxMessage.status) == [OutboxStatus.SENT]
    assert await stack.user_texts_in_tracker(user_id) == ["hi"]


async def test_a_429_from_the_send_api_waits_for_retry_after_then_delivers_once(
    stack: Stack,
) -> None:
    sim = stack.messenger
    gateway = await stack.start_gateway()
    sim.fail_next(1, status=429, headers={"Retry-After": "2"})
    user_id = new_customer()
    await post_and_time(stack, gateway, user_id, "hi")

    await wait_until(
        lambda: any(c.status == 429 for c in sim.calls), timeout=30, what="the 429 answer"
    )
    refused_at = time.monotonic()  # at most one poll (10 ms) after the real refusal
    await sim.wait_for_sends(1, timeout=ANSWER_WITHIN)
    waited = time.monotonic() - refused_at
    await asyncio.sleep(QUIET)
    assert len(sim.received(user_id)) == 1
    assert 2.0 - 0.05 <= waited < 10.0, f"retried {waited:.2f} s after the 429"
    assert [c.status for c in sim.calls if c.is_message] == [429, 200]
