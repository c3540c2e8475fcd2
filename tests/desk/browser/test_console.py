"""The agent console in a real browser (Debian's chromium driven by Playwright), against the
whole stack on loopback: the gateway in-process with the live engine, the action server and the
Messenger simulator. A customer asks for a person, an agent takes over in the console, replies,
and hands the conversation back to the bot.

Screenshots of every step go to tests/artifacts/desk/<test>/ (kept after the run; on a failure
the last one shows the page as it was).
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, expect

from desk.service import BACK_TO_BOT
from desk.staff import create_agent
from desk.web.auth import new_secret
from gateway.app import create_app
from sandbox.simulator.messenger import GraphCall, MessengerSimulator
from sandbox.stack import Service
from settings import Settings
from store.db import session_factory
from tests.desk.browser.chromium import Screenshots, watch_for_problems

pytestmark = pytest.mark.engine

PASSWORD = "a long enough password"
UPS_IN_TRANSIT = "1Z5R89390357567127"
ENGINE_TURN = 60_000  # ms: the live engine's first turns can be slow on a busy machine


@dataclass
class Stack:
    url: str
    messenger: MessengerSimulator
    agent_username: str
    agent_name: str


@pytest.fixture
async def stack(
    engine: Service, action_server: Service, assistant_database: str
) -> AsyncIterator[Stack]:
    """The gateway on the action server's database, so it sees the tickets the bot opens."""
    async with MessengerSimulator(app_secret="app-secret", page_access_token="page-token") as sim:
        settings = Settings(
            database_url=assistant_database,
            engine_url=engine.url,
            messenger_app_secret="app-secret",
            messenger_verify_token="verify-me",
            messenger_page_access_token="page-token",
            graph_api_url=sim.graph_api_url,
            desk_secret_key=new_secret(),
        )
        server = TestServer(create_app(settings), host="127.0.0.1")
        await server.start_server()
        username = f"agent-{uuid.uuid4().hex[:8]}"
        with session_factory(settings.database_url).begin() as session:
            create_agent(session, username, "Alice Moss", PASSWORD)
        try:
            yield Stack(str(server.make_url("")).rstrip("/"), sim, username, "Alice Moss")
        finally:
            await server.close()


async def wait_for_reply(
    sim: MessengerSimulator, user_id: str, after: int, timeout: float = 60
) -> GraphCall:
    """The first message this customer receives after their `after`-th one."""
    async with asyncio.timeout(timeout):
        while True:
            calls = [c for c in sim.sends if c.recipient_id == user_id]
            if len(calls) > after:
                return calls[after]
            await asyncio.sleep(0.1)


async def test_an_agent_takes_over_a_chat_and_hands_it_back_to_the_bot(
    stack: Stack, browser: Browser, screenshots: Screenshots
) -> None:
    sim, customer = stack.messenger, f"77{uuid.uuid4().int % 10**10:010d}"
    page = await browser.new_page(base_url=stack.url, viewport={"width": 1280, "height": 900})
    problems = watch_for_problems(page)
    try:
        # Signing in, from the queue's address.
        await page.goto("/desk/")
        await expect(page).to_have_url(re.compile(r"/desk/login\?next=/desk/$"))
        await page.get_by_label("User name").fill(stack.agent_username)
        await page.get_by_label("Password").fill(PASSWORD)
        await screenshots.take(page, "sign-in")
        await page.get_by_role("button", name="Sign in").click()
        await expect(page.get_by_role("heading", name="Queue", exact=True)).to_be_visible()
        await expect(page.locator("#live-status")).to_have_text("Live")
        await screenshots.take(page, "queue-before")

        # The customer asks for a person: the ticket shows up without a reload.
        await page.evaluate("window.deskTestMarker = 'same page'")
        assert (
            await sim.post_message(stack.url, customer, "I want to talk to a person")
        ).status == 200
        row = page.locator("#queue-rows tr", has_text=f"Messenger user {customer}")
        await expect(row).to_be_visible(timeout=ENGINE_TURN)
        assert await page.evaluate("window.deskTestMarker") == "same page"
        await expect(row).to_contain_text("Asked for a person")
        await expect(row.locator(".sla")).to_have_text(re.compile(r"due in|SLA breached"))
        await screenshots.take(page, "ticket-appears-live")
        acknowledgement = await wait_for_reply(sim, customer, 0)
        assert acknowledgement.messaging_type == "RESPONSE"  # the bot's "a person will answer"

        # The ticket: context above the transcript.
        await row.get_by_role("link").first.click()
        await expect(page.get_by_role("heading", name=re.compile(r"^Ticket #\d+"))).to_be_visible()
        context = page.locator("section.context")
        await expect(context).to_contain_text("Asked for a person")  # the reason
        await expect(context).to_contain_text('"I want to talk to a person"')  # the summary
        transcript = page.locator("#transcript")
        await expect(transcript.locator(".entry-customer").first).to_contain_text(
            "I want to talk to a person"
        )
        await expect(transcript.locator(".entry-bot").first).to_be_visible()
        await screenshots.take(page, "ticket-context")

        # The reply reaches the customer through the Send API, tagged as a person's.
        replied = len(sim.received(customer))
        await page.get_by_label("Message").fill("Hi, Alice here. Which order is it about?")
        await page.get_by_role("button", name="Send reply").click()
        await expect(page.locator(".notice")).to_contain_text("Reply queued")
        reply = await wait_for_reply(sim, customer, replied, timeout=30)
        assert reply.text == "Hi, Alice here. Which order is it about?", sim.received(customer)
        assert (reply.messaging_type, reply.tag) == ("MESSAGE_TAG", "HUMAN_AGENT")
        await expect(transcript.locator(".entry-agent .delivery")).to_have_text("sent")
        await expect(page.locator("#ticket-state")).to_have_text(f"Claimed by {stack.agent_name}")
        await screenshots.take(page, "reply-sent")

        # The customer answers: it shows live, the draft being typed stays, the bot is silent.
        draft = page.get_by_label("Message")
        await draft.fill("Let me look that up")
        await draft.focus()
        received = len(sim.received(customer))
        await sim.post_message(stack.url, customer, "The one from last Tuesday, thanks")
        await expect(transcript.locator(".entry-customer").last).to_have_text(
            re.compile("The one from last Tuesday, thanks"), timeout=ENGINE_TURN
        )
        assert await draft.input_value() == "Let me look that up"
        assert await page.evaluate("document.activeElement.id") == "reply-text"
        await asyncio.sleep(3)  # time enough for a bot answer, were there one
        assert len(sim.received(customer)) == received
        await screenshots.take(page, "customer-message-live")

        # Back to the bot: it answers the customer's next message again.
        await page.get_by_role("button", name="Return to bot").click()
        await expect(page.locator(".notice")).to_contain_text("back with the bot")
        await expect(page.locator("#queue-rows")).not_to_contain_text(f"Messenger user {customer}")
        await screenshots.take(page, "returned-to-bot")
        handed_back = await wait_for_reply(sim, customer, received, timeout=30)
        assert handed_back.text == BACK_TO_BOT
        await sim.post_message(stack.url, customer, f"where is my parcel {UPS_IN_TRANSIT}")
        answer = await wait_for_reply(sim, customer, received + 1, timeout=ENGINE_TURN / 1000)
        assert "on its way" in (answer.text or "")
        assert answer.messaging_type == "RESPONSE"
        assert not problems, problems
    except BaseException:
        await screenshots.take(page, "failed")
        raise
    finally:
        print(f"screenshots: {screenshots.folder} ({len(screenshots.taken)} taken)")
        await page.close()
