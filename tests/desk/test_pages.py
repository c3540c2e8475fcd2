"""The console's pages over real HTTP on loopback (no browser): sign-in, the guards, the queue,
a ticket and its actions, the live event stream. The gateway runs in-process on its own SQLite
file; the engine address is a closed port, so "return to bot" meets an unreachable assistant;
Messenger is the simulator."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from desk.staff import create_agent
from desk.web.auth import new_secret
from gateway.app import create_app
from sandbox.simulator.messenger import USER_UNAVAILABLE, MessengerSimulator
from sandbox.stack import free_port
from settings import Settings
from store.db import session_factory
from store.handoffs import NewHandoff, record_handoff
from store.models import CannedReply, HandoffRequest, HandoffStatus, OutboxMessage

PASSWORD = "correct horse battery"
UPS = "1Z5R89390357567127"
CODES = [
    {
        "code": UPS.lower(),
        "kind": "tracking_number",
        "normalized": UPS,
        "valid": True,
        "problem": None,
        "courier": "UPS",
        "courier_code": "ups",
        "lookup": {
            "found": True,
            "type": "shipment",
            "status": "in_transit",
            "estimated_delivery": "2026-11-25",
            "last_event": "Departed from facility, Leeds",
            "order_code": "ORD-10042",
            "summary": "shipment in_transit",
        },
    },
    {
        "code": "ORD-99999",
        "kind": "order_code",
        "normalized": "ORD-99999",
        "valid": True,
        "problem": None,
        "courier": None,
        "courier_code": None,
        "lookup": {"found": False, "summary": "not found"},
    },
    {
        "code": "1Z5R89390357567128",
        "kind": "tracking_number",
        "normalized": "1Z5R89390357567128",
        "valid": False,
        "problem": "check_digit",
        "courier": "UPS",
        "courier_code": "ups",
    },
]


@dataclass
class Console:
    client: TestClient[Any, Any]
    sessions: sessionmaker[Session]
    messenger: MessengerSimulator

    def ticket(self, ticket_id: int) -> HandoffRequest:
        with self.sessions() as session:
            row = session.get(HandoffRequest, ticket_id)
            assert row is not None
            session.expunge(row)
            return row

    def add_ticket(self, user_id: str = "4001", *, last_message_days_ago: float = 0) -> int:
        now = datetime.now(UTC)
        with self.sessions.begin() as session:
            ticket_id = record_handoff(
                session,
                NewHandoff(
                    platform="messenger",
                    conversation_id=f"messenger:100000000000001:{user_id}",
                    customer_id=user_id,
                    customer_name="Dana Scully",
                    reason="delivery_problem",
                    summary=f'Delivery problem — UPS {UPS} — shipment in_transit — "it is late"',
                    context={
                        "intents": ["track_parcel", "delivery_problem"],
                        "codes": CODES,
                        "transcript": [
                            {
                                "sender": "customer",
                                "text": "my parcel is late",
                                "at": now.isoformat(),
                            },
                            {
                                "sender": "bot",
                                "text": "Which tracking number?",
                                "at": now.isoformat(),
                            },
                        ],
                        "language": "en",
                    },
                    priority="high",
                    priority_signals=("lost or damaged parcel",),
                    sla_due_at=now - timedelta(minutes=5),
                ),
                now=now,
            )
            row = session.get(HandoffRequest, ticket_id)
            assert row is not None
            row.last_customer_message_at = now - timedelta(days=last_message_days_ago)
        return ticket_id


@pytest.fixture
async def console(tmp_path: Path) -> AsyncIterator[Console]:
    async with MessengerSimulator(app_secret="app-secret", page_access_token="page-token") as sim:
        settings = Settings(
            database_url=f"sqlite:///{tmp_path / 'desk.db'}",
            load_demo_data=False,
            engine_url=f"http://127.0.0.1:{free_port()}",  # nobody listens: the engine is down
            desk_secret_key=new_secret(),
            messenger_page_access_token="page-token",
            graph_api_url=sim.graph_api_url,
        )
        client = TestClient(TestServer(create_app(settings), host="127.0.0.1"))
        await client.start_server()
        sessions = session_factory(settings.database_url)
        with sessions.begin() as session:
            create_agent(session, "alice", "Alice Moss", PASSWORD)
            create_agent(session, "bob", "Bob Ray", PASSWORD)
        try:
            yield Console(client, sessions, sim)
        finally:
            await client.close()


def token_in(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


# A signed-in browser: the test client, or a second session with its own cookie jar.
Http = TestClient[Any, Any] | aiohttp.ClientSession


async def sign_in(
    http: Http, username: str = "alice", password: str = PASSWORD, next: str = "/desk/"
) -> ClientResponse:
    page = await http.get("/desk/login", params={"next": next})
    form = {
        "csrf_token": token_in(await page.text()),
        "username": username,
        "password": password,
        "next": next,
    }
    return await http.post("/desk/login", data=form, allow_redirects=False)


async def token(http: Http) -> str:
    return token_in(await (await http.get("/desk/")).text())


def second_browser(console: Console) -> aiohttp.ClientSession:
    """Another member of staff's browser: same server, cookies of its own."""
    return aiohttp.ClientSession(
        base_url=str(console.client.make_url("")), cookie_jar=aiohttp.CookieJar(unsafe=True)
    )


# --- signing in ---------------------------------------------------------------------------


async def test_pages_send_signed_out_staff_to_the_sign_in_page(console: Console) -> None:
    ticket_id = console.add_ticket()
    client = console.client
    for path in ("/desk/", f"/desk/tickets/{ticket_id}"):
        answer = await client.get(path, allow_redirects=False)
        assert answer.status == 303
        assert answer.headers["Location"] == f"/desk/login?next={path}"
    for path in ("/desk/fragments/queue", f"/desk/fragments/tickets/{ticket_id}/transcript"):
        assert (await client.get(path)).status == 401
    assert (await client.get("/desk/events")).status == 401
    bare = await client.get("/desk", allow_redirects=False)
    assert (bare.status, bare.headers["Location"]) == (301, "/desk/")
    login = await client.get("/desk/login")
    html = await login.text()
    assert login.status == 200 and '<label for="password">Password</label>' in html
    assert "Dana Scully" not in html


async def test_a_wrong_password_shows_an_error_and_signs_nobody_in(console: Console) -> None:
    answer = await sign_in(console.client, password="not the password")
    html = await answer.text()
    assert answer.status == 401
    assert "Wrong user name or password" in html and 'value="alice"' in html
    assert (await console.client.get("/desk/", allow_redirects=False)).status == 303


async def test_five_wrong_passwords_slow_the_next_try_down(console: Console) -> None:
    for _ in range(5):
        assert (await sign_in(console.client, password="wrong password")).status == 401
    throttled = await sign_in(console.client)  # even the right password waits now
    assert throttled.status == 429
    assert "Too many failed sign-ins — try again in 2 seconds" in await throttled.text()
    assert throttled.headers["Retry-After"] == "2"


async def test_signing_in_goes_to_the_page_asked_for_and_never_off_site(console: Console) -> None:
    ticket_id = console.add_ticket()
    asked = await sign_in(console.client, next=f"/desk/tickets/{ticket_id}")
    assert (asked.status, asked.headers["Location"]) == (303, f"/desk/tickets/{ticket_id}")
    for target in ("https://evil.example/desk/", "//evil.example/desk/", "/desk/../admin", "/x"):
        async with second_browser(console) as other:
            answer = await sign_in(other, "bob", next=target)
            assert (answer.status, answer.headers["Location"]) == (303, "/desk/"), target


async def test_signing_out_ends_the_session(console: Console) -> None:
    await sign_in(console.client)
    answer = await console.client.post(
        "/desk/logout", data={"csrf_token": await token(console.client)}, allow_redirects=False
    )
    assert (answer.status, answer.headers["Location"]) == (303, "/desk/login")
    assert (await console.client.get("/desk/", allow_redirects=False)).status == 303


# --- the guards ---------------------------------------------------------------------------


async def test_a_form_post_without_the_csrf_token_is_refused(console: Console) -> None:
    ticket_id = console.add_ticket()
    await sign_in(console.client)
    answer = await console.client.post(f"/desk/tickets/{ticket_id}/claim", data={"from": "queue"})
    assert answer.status == 403 and "CSRF" in await answer.text()
    forged = await console.client.post(
        f"/desk/tickets/{ticket_id}/claim", data={"csrf_token": "guessed"}
    )
    assert forged.status == 403
    assert console.ticket(ticket_id).status is HandoffStatus.OPEN


async def test_the_sign_in_form_needs_its_csrf_token_too(console: Console) -> None:
    answer = await console.client.post(
        "/desk/login", data={"username": "alice", "password": PASSWORD}, allow_redirects=False
    )
    assert answer.status == 403


# --- the queue ----------------------------------------------------------------------------


async def test_the_queue_lists_waiting_tickets_with_their_sla_flag(console: Console) -> None:
    ticket_id = console.add_ticket()
    await sign_in(console.client)
    html = await (await console.client.get("/desk/")).text()
    row = html[html.index(f'data-ticket="{ticket_id}"') :]
    assert "Delivery problem" in row and "Dana Scully" in row and "Messenger" in row
    assert "lost or damaged parcel" in row and "priority-high" in row
    assert 'class="sla breached"' in row and "SLA breached 5 min ago" in row
    assert f'id="claim-{ticket_id}"' in row


async def test_claiming_from_the_queue_opens_the_ticket_as_yours(console: Console) -> None:
    ticket_id = console.add_ticket()
    await sign_in(console.client)
    answer = await console.client.post(
        f"/desk/tickets/{ticket_id}/claim",
        data={"csrf_token": await token(console.client), "from": "queue"},
        allow_redirects=False,
    )
    assert (answer.status, answer.headers["Location"]) == (303, f"/desk/tickets/{ticket_id}")
    page = await (await console.client.get(answer.headers["Location"])).text()
    assert f"You claimed ticket #{ticket_id}." in page and "Claimed by Alice Moss" in page
    again = await (await console.client.get(f"/desk/tickets/{ticket_id}")).text()
    assert "You claimed" not in again  # the notice shows once
    mine = await (await console.client.get("/desk/", params={"mine": "1"})).text()
    assert "Alice Moss (you)" in mine
    row = console.ticket(ticket_id)
    assert row.status is HandoffStatus.CLAIMED and row.assignee_id is not None


async def test_a_ticket_someone_else_claimed_says_who_has_it(console: Console) -> None:
    ticket_id = console.add_ticket()
    await sign_in(console.client)
    await console.client.post(
        f"/desk/tickets/{ticket_id}/claim", data={"csrf_token": await token(console.client)}
    )
    async with second_browser(console) as bob:
        await sign_in(bob, "bob")
        answer = await bob.post(
            f"/desk/tickets/{ticket_id}/claim",
            data={"csrf_token": await token(bob), "from": "queue"},
        )
        html = await answer.text()
        assert answer.status == 409
        assert f"Ticket {ticket_id} is already taken by Alice Moss." in html
        assert "<h1>Queue</h1>" in html  # shown on the page the agent was on
        page = await (await bob.get(f"/desk/tickets/{ticket_id}")).text()
        assert "only they (or an admin) can reply" in page
        assert 'id="reply-text"' not in page


# --- a ticket -----------------------------------------------------------------------------


async def test_the_ticket_page_shows_the_context_codes_and_lookups(console: Console) -> None:
    ticket_id = console.add_ticket()
    with console.sessions.begin() as session:
        session.add(CannedReply(title="Apology", text="Sorry for the wait!"))
    await sign_in(console.client)
    page = await console.client.get(f"/desk/tickets/{ticket_id}")
    html = await page.text()
    assert page.status == 200
    context = html[html.index('id="context-heading"') : html.index('id="conversation-heading"')]
    for shown in (
        "Dana Scully",
        "Delivery problem",
        "lost or damaged parcel",
        "track_parcel → delivery_problem",
        "SLA breached",
        UPS,
        "UPS",
        "shipment in transit",
        "latest scan: Departed from facility, Leeds",
        "expected: 2026-11-25",
        "order ORD-10042",
        "ORD-99999",
        "not found in the store",
        "invalid: check digit does not match",
        "not looked up",
    ):
        assert shown in context, shown
    transcript = html[html.index('id="transcript"') :]
    assert "my parcel is late" in transcript and "Which tracking number?" in transcript
    assert '<option value="Sorry for the wait!">Apology</option>' in html
    assert 'src="/desk/static/live.js"' in html and "<script>" not in html  # CSP: no inline JS


async def test_an_x_ticket_links_to_the_profile_and_says_replies_cannot_go_out(
    console: Console,
) -> None:
    with console.sessions.begin() as session:
        ticket_id = record_handoff(
            session,
            NewHandoff(
                platform="x",
                conversation_id="x:1000:5001",
                customer_id="5001",
                customer_name="Sam Lee",
                reason="complaint",
                summary="Complaint",
            ),
        )
    await sign_in(console.client)
    html = await (await console.client.get(f"/desk/tickets/{ticket_id}")).text()
    assert '<a href="https://x.com/i/user/5001"' in html and "profile on X" in html
    assert "Replies cannot be sent to X from this desk" in html  # no X credentials here


async def test_a_missing_ticket_is_a_404_page(console: Console) -> None:
    await sign_in(console.client)
    answer = await console.client.get("/desk/tickets/999")
    assert answer.status == 404 and "There is no ticket 999." in await answer.text()


async def test_a_reply_goes_to_the_outbox_and_shows_in_the_transcript(console: Console) -> None:
    ticket_id = console.add_ticket()
    await sign_in(console.client)
    answer = await console.client.post(
        f"/desk/tickets/{ticket_id}/reply",
        data={"csrf_token": await token(console.client), "text": "Hi Dana, I'm on it."},
        allow_redirects=False,
    )
    assert (answer.status, answer.headers["Location"]) == (303, f"/desk/tickets/{ticket_id}")
    fragment = await console.client.get(f"/desk/fragments/tickets/{ticket_id}/transcript")
    html = await fragment.text()
    assert "Hi Dana, I&#39;m on it." in html and "Alice Moss (agent)" in html
    assert fragment.headers["X-Ticket-State"] == "Claimed%20by%20Alice%20Moss"
    with console.sessions() as session:
        [reply] = session.scalars(select(OutboxMessage)).all()
        assert reply.from_person and reply.handoff_request_id == ticket_id
    [sent] = await console.messenger.wait_for_sends(1)
    assert (sent.recipient_id, sent.tag) == ("4001", "HUMAN_AGENT")


async def transcript_once(console: Console, ticket_id: int, shows: str) -> str:
    """The transcript fragment once it shows `shows` (delivery happens in the background)."""
    async with asyncio.timeout(10):
        while True:
            path = f"/desk/fragments/tickets/{ticket_id}/transcript"
            html = await (await console.client.get(path)).text()
            if shows in html:
                return html
            await asyncio.sleep(0.2)


async def test_a_reply_the_platform_refuses_shows_why_in_the_transcript(console: Console) -> None:
    ticket_id = console.add_ticket()
    console.messenger.fail_next(1, status=400, error=USER_UNAVAILABLE)
    await sign_in(console.client)
    await console.client.post(
        f"/desk/tickets/{ticket_id}/reply",
        data={"csrf_token": await token(console.client), "text": "Are you still there?"},
    )
    html = await transcript_once(console, ticket_id, "not delivered")
    entry = html[html.index("Are you still there?") :]
    assert "The customer did not get this reply:" in entry and "(#551)" in entry
    assert "entry-failed" in html


async def test_a_reply_past_messengers_window_is_refused_and_the_draft_kept(
    console: Console,
) -> None:
    ticket_id = console.add_ticket(last_message_days_ago=8)
    await sign_in(console.client)
    before = await (await console.client.get(f"/desk/tickets/{ticket_id}")).text()
    assert "that time has passed" in before  # warned before typing
    answer = await console.client.post(
        f"/desk/tickets/{ticket_id}/reply",
        data={"csrf_token": await token(console.client), "text": "Sorry <b>Dana</b>"},
    )
    html = await answer.text()
    assert answer.status == 400
    assert 'role="alert"' in html and "only within 7 days" in html and "8 days ago" in html
    assert "Sorry &lt;b&gt;Dana&lt;/b&gt;</textarea>" in html
    with console.sessions() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


async def test_a_private_note_shows_in_the_transcript(console: Console) -> None:
    ticket_id = console.add_ticket()
    await sign_in(console.client)
    await console.client.post(
        f"/desk/tickets/{ticket_id}/notes",
        data={"csrf_token": await token(console.client), "text": "Called UPS: arrives Friday"},
    )
    html = await (
        await console.client.get(f"/desk/fragments/tickets/{ticket_id}/transcript")
    ).text()
    assert "Private note · Alice Moss" in html and "Called UPS: arrives Friday" in html
    empty = await console.client.post(
        f"/desk/tickets/{ticket_id}/notes",
        data={"csrf_token": await token(console.client), "text": "   "},
    )
    assert empty.status == 400 and "The note is empty." in await empty.text()


async def test_return_to_bot_with_the_assistant_down_keeps_the_ticket_and_says_why(
    console: Console,
) -> None:
    ticket_id = console.add_ticket()
    await sign_in(console.client)
    answer = await console.client.post(
        f"/desk/tickets/{ticket_id}/return-to-bot",
        data={"csrf_token": await token(console.client)},
    )
    html = await answer.text()
    assert answer.status == 503 and "The assistant cannot be reached right now" in html
    assert console.ticket(ticket_id).status is HandoffStatus.OPEN


# --- live updates -------------------------------------------------------------------------


async def next_event(response: ClientResponse, timeout: float = 5.0) -> tuple[str, str]:
    """The next (event, data) of a server-sent event stream, skipping comments."""
    event, data = "message", ""
    async with asyncio.timeout(timeout):
        while True:
            line = (await response.content.readline()).decode().rstrip("\n")
            if line.startswith("event: "):
                event = line.removeprefix("event: ")
            elif line.startswith("data: "):
                data = line.removeprefix("data: ")
            elif line == "" and data:
                return event, data


async def test_the_event_stream_tells_of_every_ticket_change(console: Console) -> None:
    await sign_in(console.client)
    stream = await console.client.get("/desk/events")
    assert stream.status == 200
    assert stream.headers["Content-Type"].startswith("text/event-stream")
    event, first = await next_event(stream)
    assert event == "tickets"
    ticket_id = console.add_ticket()  # as the action server would: another process, same DB
    _, second = await next_event(stream)
    assert second != first
    await console.client.post(
        f"/desk/tickets/{ticket_id}/claim", data={"csrf_token": await token(console.client)}
    )
    _, third = await next_event(stream)
    assert third != second
    stream.close()


async def test_open_event_streams_end_when_the_server_shuts_down(console: Console) -> None:
    await sign_in(console.client)
    stream = await console.client.get("/desk/events")
    await next_event(stream)
    started = time.monotonic()
    await console.client.server.close()
    assert time.monotonic() - started < 5  # not the 60 s shutdown timeout
    assert await asyncio.wait_for(stream.content.read(), 5) == b""  # ended, not cut
