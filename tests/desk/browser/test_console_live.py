"""The console's live behaviour in chromium, two agents side by side, without the engine: tickets
written to the database (as the action server writes them) appear by themselves, SLA timers tick
into breach, another agent's claim and note show up at once, and what an agent is typing, and
where their focus is, stay put through every update."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, Page, expect
from sqlalchemy.orm import Session, sessionmaker

from desk.staff import create_agent
from desk.web.auth import new_secret
from gateway.app import create_app
from sandbox.simulator.messenger import MessengerSimulator
from sandbox.stack import free_port
from settings import Settings
from store.db import session_factory
from store.handoffs import NewHandoff, record_handoff
from store.models import CannedReply
from tests.desk.browser.chromium import Screenshots, watch_for_problems

PASSWORD = "a long enough password"


@dataclass
class Site:
    url: str
    sessions: sessionmaker[Session]

    def add_ticket(self, user_id: str, summary: str, due_in: timedelta) -> int:
        now = datetime.now(UTC)
        with self.sessions.begin() as session:
            return record_handoff(
                session,
                NewHandoff(
                    platform="messenger",
                    conversation_id=f"messenger:100000000000001:{user_id}",
                    customer_id=user_id,
                    reason="customer_request",
                    summary=summary,
                    context={"transcript": [{"sender": "customer", "text": summary}]},
                    sla_due_at=now + due_in,
                ),
                now=now,
            )


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    async with MessengerSimulator(app_secret="app-secret", page_access_token="page-token") as sim:
        settings = Settings(
            database_url=f"sqlite:///{tmp_path / 'desk.db'}",
            load_demo_data=False,
            engine_url=f"http://127.0.0.1:{free_port()}",  # not needed: nobody returns to the bot
            desk_secret_key=new_secret(),
            messenger_page_access_token="page-token",
            graph_api_url=sim.graph_api_url,
        )
        server = TestServer(create_app(settings), host="127.0.0.1")
        await server.start_server()
        sessions = session_factory(settings.database_url)
        with sessions.begin() as session:
            create_agent(session, "alice", "Alice Moss", PASSWORD)
            create_agent(session, "bob", "Bob Ray", PASSWORD)
            session.add(CannedReply(title="Apology", text="Sorry for the wait!"))
        try:
            yield Site(str(server.make_url("")).rstrip("/"), sessions)
        finally:
            await server.close()


async def open_as(browser: Browser, site: Site, username: str) -> Page:
    """A signed-in page in a browser context of its own (its own cookies)."""
    context = await browser.new_context(base_url=site.url, viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    await page.goto("/desk/")
    await page.get_by_label("User name").fill(username)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.locator("#live-status")).to_have_text("Live")
    return page


async def test_two_agents_see_each_others_work_live_and_keep_their_drafts(
    site: Site, browser: Browser, screenshots: Screenshots
) -> None:
    alice = await open_as(browser, site, "alice")
    bob = await open_as(browser, site, "bob")
    problems = watch_for_problems(alice)
    try:
        # A ticket due in 3 s shows up on its own, counts down and is flagged when it passes.
        first = site.add_ticket(
            "5001", "Asked for a person — where is my refund", timedelta(seconds=3)
        )
        row = alice.locator(f'#queue-rows tr[data-ticket="{first}"]')
        timer = row.locator(".sla")
        await expect(timer).to_have_text("due in under a minute")
        await expect(alice).to_have_title(re.compile(r"^\(1\) Queue"))
        await expect(timer).to_have_class(re.compile(r"\bbreached\b"), timeout=10_000)
        await expect(timer).to_have_text("SLA breached just now")
        await screenshots.take(alice, "sla-breached-live")

        # Bob claims it; Alice's queue follows, and her focus stays on the button she was on.
        second = site.add_ticket(
            "5002", "Asked for a person — change my address", timedelta(hours=1)
        )
        await expect(alice.locator(f"#claim-{second}")).to_be_visible()
        await alice.locator(f"#claim-{second}").focus()
        await bob.reload()
        await bob.locator(f"#claim-{first}").click()
        await expect(bob.locator("#ticket-state")).to_have_text("Claimed by Bob Ray")
        await expect(row).to_contain_text("Bob Ray")
        await expect(row.get_by_role("button", name=re.compile("Claim"))).to_have_count(0)
        assert await alice.evaluate("document.activeElement.id") == f"claim-{second}"
        await screenshots.take(alice, "claimed-by-bob-live")

        # Alice drafts a reply from a canned one; Bob's note lands in her transcript meanwhile.
        await alice.goto(f"/desk/tickets/{second}")
        await alice.get_by_label("Canned reply").select_option(label="Apology")
        box = alice.get_by_label("Message")
        await expect(box).to_have_value("Sorry for the wait!")
        await box.press_sequentially(" Checking your address now.")
        await bob.goto(f"/desk/tickets/{second}")
        await bob.get_by_label("Note for staff (the customer never sees it)").fill("Moved house")
        await bob.get_by_role("button", name="Add note").click()
        await expect(alice.locator("#transcript")).to_contain_text("Moved house")
        await expect(box).to_have_value("Sorry for the wait! Checking your address now.")
        assert await alice.evaluate("document.activeElement.id") == "reply-text"
        await screenshots.take(alice, "note-live-draft-kept")

        assert not problems, problems

        # Bob takes that one too: Alice's page says so, and her reply is refused with the reason
        # (a 409 page: chromium logs it as a failed load, the one console error expected here).
        await bob.get_by_role("button", name="Claim").click()
        await expect(alice.locator("#ticket-state")).to_have_text("Claimed by Bob Ray")
        await alice.get_by_role("button", name="Send reply").click()
        await expect(alice.get_by_role("alert")).to_contain_text(
            f"Ticket {second} is already taken by Bob Ray."
        )
        await expect(alice.get_by_label("Message", exact=True)).to_have_count(0)
        await expect(alice.get_by_label("Copy it if you still need it")).to_have_value(
            "Sorry for the wait! Checking your address now."
        )
        await screenshots.take(alice, "reply-refused-taken")
        assert [p for p in problems if "status of 409" not in p] == []
    except BaseException:
        await screenshots.take(alice, "failed")
        raise
    finally:
        print(f"screenshots: {screenshots.folder} ({len(screenshots.taken)} taken)")
