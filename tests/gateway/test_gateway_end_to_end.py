"""The whole path on loopback: a simulated platform posts signed webhooks to the gateway, the
router runs the turn on the live engine, and the simulated platform receives the answer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestServer

from gateway.app import create_app
from sandbox.simulator.messenger import MessengerSimulator
from sandbox.simulator.x import XSimulator
from sandbox.stack import Service
from settings import Settings
from store.db import session_factory
from store.models import InboxMessage

pytestmark = pytest.mark.engine

UPS_IN_TRANSIT = "1Z5R89390357567127"


@dataclass
class Gateway:
    url: str
    messenger: MessengerSimulator
    x: XSimulator
    settings: Settings

    def inbox_count(self) -> int:
        with session_factory(self.settings.database_url)() as session:
            return int(session.scalar(sa.select(sa.func.count()).select_from(InboxMessage)) or 0)


@pytest.fixture
async def gateway(
    engine: Service, action_server: Service, tmp_path: Path
) -> AsyncIterator[Gateway]:
    async with (
        MessengerSimulator(app_secret="app-secret", page_access_token="page-token") as messenger,
        XSimulator(account_id="1000") as x,
    ):
        settings = x.settings(
            database_url=f"sqlite:///{tmp_path / 'gateway.db'}",
            engine_url=engine.url,
            messenger_app_secret="app-secret",
            messenger_verify_token="verify-me",
            messenger_page_access_token="page-token",
            graph_api_url=messenger.graph_api_url,
        )
        server = TestServer(create_app(settings), host="127.0.0.1")
        await server.start_server()
        try:
            yield Gateway(str(server.make_url("")).rstrip("/"), messenger, x, settings)
        finally:
            await server.close()


async def test_messenger_customer_gets_the_answer_through_the_send_api(gateway: Gateway) -> None:
    answer = await gateway.messenger.post_message(
        gateway.url, "4001", f"where is my parcel {UPS_IN_TRANSIT}"
    )
    assert answer.status == 200
    [sent] = await gateway.messenger.wait_for_sends(1, timeout=60)
    assert sent.recipient_id == "4001" and "on its way" in (sent.text or "")
    assert sent.messaging_type == "RESPONSE"


async def test_a_batch_of_three_events_gets_three_answers(gateway: Gateway) -> None:
    sim = gateway.messenger
    body = sim.webhook_body(
        sim.entry(sim.message_event("4101", "hi"), sim.message_event("4102", "hello")),
        sim.entry(sim.message_event("4103", "hey there")),
    )
    assert (await sim.post_webhook(gateway.url, body)).status == 200
    sends = await sim.wait_for_sends(3, timeout=60)
    assert sorted(s.recipient_id or "" for s in sends) == ["4101", "4102", "4103"]
    assert all(s.quick_replies for s in sends)  # the greeting's menu, as quick replies


async def test_the_same_delivery_three_times_is_answered_once(gateway: Gateway) -> None:
    sim = gateway.messenger
    event = sim.message_event("4201", "hi")
    for _ in range(3):
        assert (await sim.post_events(gateway.url, event)).status == 200
    await sim.wait_for_sends(1, timeout=60)
    await asyncio.sleep(2)  # time enough for a second answer, were there one
    assert len(sim.received("4201")) == 1 and gateway.inbox_count() == 1


async def test_echoes_of_our_own_messages_are_not_answered(gateway: Gateway) -> None:
    sim = gateway.messenger
    assert (await sim.post_events(gateway.url, sim.echo_event("4301", "our reply"))).status == 200
    await asyncio.sleep(1)
    assert gateway.inbox_count() == 0 and not sim.sends


async def test_a_bad_signature_gets_403_and_stores_nothing(gateway: Gateway) -> None:
    sim = gateway.messenger
    body = sim.webhook_body(sim.entry(sim.message_event("4401", "hi")))
    answer = await sim.post_webhook(gateway.url, body, signature="sha256=" + "0" * 64)
    assert answer.status == 403 and gateway.inbox_count() == 0


async def test_a_500_then_200_from_the_send_api_delivers_once(gateway: Gateway) -> None:
    sim = gateway.messenger
    sim.fail_next(1, status=500)
    await sim.post_message(gateway.url, "4501", "hi")
    sends = await sim.wait_for_sends(1, timeout=60)
    await asyncio.sleep(2)
    assert len(sim.received("4501")) == 1 and sends[0].recipient_id == "4501"


async def test_x_customer_answers_a_numbered_option_by_its_number(gateway: Gateway) -> None:
    x = gateway.x
    await x.post_dm(f"{gateway.url}/webhooks/x", "5001", "hi", name="Sam Lee", screen_name="samlee")
    [menu] = await x.wait_for_sends(1, timeout=60)
    assert "1. Track a parcel" in menu.text and "2. Order status" in menu.text
    await x.post_dm(f"{gateway.url}/webhooks/x", "5001", "2", name="Sam Lee", screen_name="samlee")
    sends = await x.wait_for_sends(2, timeout=60)
    assert "order number" in sends[1].text  # "2" meant "Order status"


async def test_metrics_count_what_went_through(gateway: Gateway) -> None:
    sim = gateway.messenger
    sim.fail_next(1, status=500)
    await sim.post_message(gateway.url, "4601", "hi")
    await sim.wait_for_sends(1, timeout=60)
    async with aiohttp.ClientSession() as http, http.get(f"{gateway.url}/metrics") as response:
        text = await response.text()
    samples = {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line and not line.startswith("#")
    }
    assert samples['supportbot_inbound_messages_total{platform="messenger",result="new"}'] == 1
    assert samples['supportbot_outbound_messages_total{outcome="retry",platform="messenger"}'] == 1
    assert samples['supportbot_outbound_messages_total{outcome="sent",platform="messenger"}'] == 1
    assert samples['supportbot_end_to_end_seconds_count{platform="messenger"}'] == 1
    assert samples['supportbot_webhook_ack_seconds_count{platform="messenger",status="200"}'] == 1
    assert samples["supportbot_inbox_lag_seconds"] == 0
