"""The admin page, through HTTP: only admins, forms that redirect when saved and explain when
refused (storing nothing), and settings the rest of the desk then uses."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select
from sqlalchemy.orm import Session

import actions.runtime
from actions.handoff import hand_off
from desk.preferences import BUSINESS_HOURS, business_hours_document
from desk.staff import create_agent
from settings import get_settings
from store.models import Agent, AgentRole, CannedReply, DeskSetting, HandoffReason, HandoffRequest
from tests.actions.trackers import load_domain, tracker_of, user_event
from tests.desk.test_reports import (
    Console,
    backend,
    console,
    database_url,
    new_database_url,
    session,
    sign_in,
)

__all__ = ["backend", "console", "database_url", "new_database_url", "session"]

PASSWORD = "a long enough password"


@pytest.fixture
def admin(session: Session) -> Agent:
    """An admin besides the console's agent `ada`."""
    agent = create_agent(session, "grace", "Grace", PASSWORD, AgentRole.ADMIN)
    session.commit()
    return agent


async def page(console: Console) -> tuple[int, str]:
    async with console.http.get(f"{console.url}/desk/admin") as response:
        return response.status, await response.text()


async def token(console: Console) -> str:
    status, html = await page(console)
    assert status == 200, html
    found = re.search(r'<meta name="csrf-token" content="([^"]+)">', html)
    assert found is not None
    return found.group(1)


async def post(
    console: Console, path: str, form: dict[str, str], *, csrf: str | None = None
) -> tuple[int, str, str | None]:
    """Post a form as the page does; (status, page, where a redirect goes)."""
    data = {"csrf_token": csrf if csrf is not None else await token(console), **form}
    async with console.http.post(
        f"{console.url}/desk{path}", data=data, allow_redirects=False
    ) as response:
        return response.status, await response.text(), response.headers.get("Location")


async def test_the_admin_page_is_for_admins_only(console: Console, session: Session) -> None:
    await sign_in(console, "ada")  # an agent
    status, text = await page(console)
    assert status == 403 and "Only admins" in text
    async with console.http.get(f"{console.url}/desk/reports") as response:
        html = await response.text()
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert csrf is not None
    form = {"username": "mallory", "display_name": "M", "role": "admin", "password": PASSWORD}
    status, _, _ = await post(console, "/admin/agents", form, csrf=csrf.group(1))
    assert status == 403
    assert session.scalar(select(Agent).where(Agent.username == "mallory")) is None


async def test_an_admin_adds_an_agent_who_can_then_sign_in(console: Console, admin: Agent) -> None:
    await sign_in(console, "grace")
    form = {"username": "Linus", "display_name": "Linus T", "role": "agent", "password": PASSWORD}
    status, _, location = await post(console, "/admin/agents", form)
    assert (status, location) == (303, "/desk/admin#agents")
    status, html = await page(console)
    assert "Added Linus T (linus, agent)." in html
    _, again = await page(console)
    assert "Added Linus T" not in again  # the notice is shown once
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as other:
        await sign_in(Console(console.url, other), "linus")
        async with other.get(f"{console.url}/desk/admin") as response:
            assert response.status == 403  # an agent, not an admin


async def test_a_form_without_the_csrf_token_changes_nothing(
    console: Console, admin: Agent, session: Session
) -> None:
    await sign_in(console, "grace")
    async with console.http.post(
        f"{console.url}/desk/admin/sla", data={"urgent": "1", "high": "2", "normal": "3"}
    ) as response:
        assert response.status == 403
    assert session.get(DeskSetting, "sla_targets") is None


async def test_bad_business_hours_are_explained_and_nothing_is_stored(
    console: Console, admin: Agent, session: Session
) -> None:
    await sign_in(console, "grace")
    before = business_hours_document(session)
    stored = session.get(DeskSetting, BUSINESS_HOURS)
    saved_at = stored.updated_at if stored else None
    form = {"timezone": "Europe/Rome", "hours_monday": "9 to 5", "closed_dates": ""}
    status, html, _ = await post(console, "/admin/hours", form)
    assert status == 400
    assert "monday: &#39;9 to 5&#39; is not like 09:00-18:00" in html
    assert 'value="9 to 5"' in html  # what was typed is kept for correcting
    status, html, _ = await post(
        console, "/admin/hours", {"timezone": "Mars/Olympus", "hours_monday": "09:00-17:00"}
    )
    assert status == 400 and "unknown timezone &#39;Mars/Olympus&#39;" in html
    session.expire_all()
    stored = session.get(DeskSetting, BUSINESS_HOURS)
    assert (stored.updated_at if stored else None) == saved_at
    assert business_hours_document(session) == before


async def test_business_hours_are_saved_with_several_ranges_and_closed_dates(
    console: Console, admin: Agent, session: Session
) -> None:
    await sign_in(console, "grace")
    form = {
        "timezone": "America/New_York",
        "hours_monday": "09:00-13:00, 14:00-18:00",
        "hours_saturday": "10:00-12:00",
        "closed_dates": "2025-12-25\n2026-01-01",
    }
    status, _, location = await post(console, "/admin/hours", form)
    assert (status, location) == (303, "/desk/admin#hours")
    session.expire_all()
    assert business_hours_document(session) == {
        "timezone": "America/New_York",
        "weekly": {
            "monday": ["09:00-13:00", "14:00-18:00"],
            "tuesday": [],
            "wednesday": [],
            "thursday": [],
            "friday": [],
            "saturday": ["10:00-12:00"],
            "sunday": [],
        },
        "closed_dates": ["2025-12-25", "2026-01-01"],
    }
    _, html = await page(console)
    assert '<option value="America/New_York" selected>' in html
    assert 'value="09:00-13:00, 14:00-18:00"' in html


@pytest.fixture
def action_database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The handoff action writes to the test's database."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    actions.runtime.sessions.cache_clear()
    yield
    get_settings.cache_clear()
    actions.runtime.sessions.cache_clear()


async def test_sla_targets_saved_here_set_the_due_time_of_new_tickets(
    console: Console, admin: Agent, session: Session, action_database: None
) -> None:
    await sign_in(console, "grace")
    always = {f"hours_{day}": "00:00-24:00" for day in ("monday", "tuesday", "wednesday",
              "thursday", "friday", "saturday", "sunday")}  # fmt: skip
    status, _, _ = await post(console, "/admin/hours", {"timezone": "UTC", **always})
    assert status == 303
    status, _, _ = await post(console, "/admin/sla", {"urgent": "7", "high": "20", "normal": "45"})
    assert status == 303
    _, html = await page(console)
    assert "SLA targets saved: urgent 7 min, high 20 min, normal 45 min" in html
    now = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
    for text, reason in (
        ("can I talk to a person", HandoffReason.CUSTOMER_REQUEST),
        ("my parcel is LOST and this is RIDICULOUS, UNACCEPTABLE", HandoffReason.COMPLAINT),
    ):
        tracker = tracker_of([user_event(text, "human_handoff")])
        hand_off(CollectingDispatcher(), tracker, load_domain(), reason, now=now)
    session.expire_all()
    tickets = session.scalars(select(HandoffRequest).order_by(HandoffRequest.id)).all()
    assert [(t.priority.value, t.sla_due_at) for t in tickets] == [
        ("normal", now + timedelta(minutes=45)),
        ("urgent", now + timedelta(minutes=7)),
    ]


async def test_out_of_range_sla_targets_are_refused(
    console: Console, admin: Agent, session: Session
) -> None:
    await sign_in(console, "grace")
    status, html, _ = await post(
        console, "/admin/sla", {"urgent": "0", "high": "30", "normal": "x"}
    )
    assert status == 400 and "SLA for urgent: must be 1 to 10080 minutes" in html
    assert session.get(DeskSetting, "sla_targets") is None


async def test_the_last_admin_cannot_be_removed(console: Console, session: Session) -> None:
    grace = create_agent(session, "grace", "Grace", PASSWORD, AgentRole.ADMIN)
    session.commit()
    await sign_in(console, "grace")
    for form in ({"action": "deactivate"}, {"action": "role", "role": "agent"}):
        status, html, _ = await post(console, f"/admin/agents/{grace.id}", form)
        assert status == 400 and "The desk needs at least one active admin." in html
    session.expire_all()
    assert session.get(Agent, grace.id).role is AgentRole.ADMIN  # type: ignore[union-attr]


async def test_an_admin_changes_roles_deactivates_reactivates_and_resets_passwords(
    console: Console, admin: Agent, session: Session
) -> None:
    ada = session.scalar(select(Agent).where(Agent.username == "ada"))
    assert ada is not None
    where = f"/admin/agents/{ada.id}"
    await sign_in(console, "grace")

    async def status_of(form: dict[str, str]) -> int:
        return (await post(console, where, form))[0]

    async def signs_in(password: str) -> int:
        jar = aiohttp.CookieJar(unsafe=True)
        async with (
            aiohttp.ClientSession(cookie_jar=jar) as other,
            other.post(
                f"{console.url}/desk/api/login", json={"username": "ada", "password": password}
            ) as response,
        ):
            if response.status != 200:
                return response.status
            async with other.get(f"{console.url}/desk/admin") as admin_page:
                return admin_page.status

    assert await status_of({"action": "role", "role": "admin"}) == 303
    assert await status_of({"action": "deactivate"}) == 303
    assert await signs_in(PASSWORD) == 401  # deactivated
    assert await status_of({"action": "reactivate"}) == 303
    status, html, _ = await post(console, where, {"action": "password", "password": "short"})
    assert status == 400 and "at least 10 characters" in html
    assert await status_of({"action": "password", "password": "  another long password "}) == 303
    assert await signs_in(PASSWORD) == 401
    assert await signs_in("  another long password ") == 200  # and may open the admin page


async def test_canned_replies_are_added_edited_and_deleted(
    console: Console, admin: Agent, session: Session
) -> None:
    await sign_in(console, "grace")
    hello = {"title": "Hello", "text": "Hi! I'm taking over from the bot."}
    assert (await post(console, "/admin/canned", hello))[0] == 303
    status, html, _ = await post(console, "/admin/canned", {"title": "Hello", "text": "again"})
    assert status == 400 and "There is already a canned reply called &#39;Hello&#39;." in html
    status, html, _ = await post(console, "/admin/canned", {"title": "Empty", "text": " "})
    assert status == 400 and "needs a text" in html
    [row] = session.scalars(select(CannedReply)).all()
    edit = {"action": "save", "title": "Greeting", "text": "Hello, Ada here."}
    assert (await post(console, f"/admin/canned/{row.id}", edit))[0] == 303
    session.expire_all()
    assert [(r.title, r.text) for r in session.scalars(select(CannedReply))] == [
        ("Greeting", "Hello, Ada here.")
    ]
    _, html = await page(console)
    assert "Hello, Ada here.</textarea>" in html
    assert (await post(console, f"/admin/canned/{row.id}", {"action": "delete"}))[0] == 303
    session.expire_all()
    assert session.scalars(select(CannedReply)).all() == []
