"""The desk's JSON API over real HTTP on loopback: sign-in, guards, the queue, working a ticket,
and the OpenAPI document that describes it all."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from openapi_spec_validator import validate

from desk import staff
from desk.service import BACK_TO_BOT
from desk.web import create_desk_app
from desk.web.auth import COOKIE_NAME
from settings import Settings
from store.models import Agent

API = "/desk/api"
BOTH_DATABASES = pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)


def filled(path: str, ticket_id: int) -> str:
    return path.replace("{ticket_id}", str(ticket_id))


async def signed_in(desk_server: Any, desk_data: Any, username: str = "alice") -> Any:
    """A client signed in as a new agent `username`."""
    if desk_data.staff(username) is None:
        desk_data.agent(username)
    client = await desk_server.client()
    assert (await client.login(username)).status == 200
    return client


# --- the document -----------------------------------------------------------------------------


async def test_openapi_document_is_valid_openapi_3_1(
    desk_server: Any, desk_data: Any, api_contract: Any
) -> None:
    alice = await signed_in(desk_server, desk_data)
    answer = await alice.get(f"{API}/openapi.json")
    assert answer.status == 200
    validate(answer.body)  # raises with the first problem it finds
    assert answer.body["openapi"].startswith("3.1")
    schemes = answer.body["components"]["securitySchemes"]
    assert schemes["session"] == {**schemes["session"], "in": "cookie", "name": COOKIE_NAME}
    assert schemes["csrf"]["in"] == "header" and schemes["csrf"]["name"] == "X-CSRF-Token"
    assert answer.body == api_contract.document


def test_openapi_document_lists_exactly_the_routes_the_app_serves(api_contract: Any) -> None:
    gateway = web.Application()
    desk = create_desk_app(Settings(desk_secret_key="A" * 43 + "="))
    gateway.add_subapp("/desk", desk)
    served = {
        (route.method, route.resource.canonical)
        for route in desk.router.routes()
        if route.resource is not None
        and route.resource.canonical.startswith(f"{API}/")
        and route.method != "HEAD"  # aiohttp adds HEAD to every GET
    }
    documented = {(method, path) for method, path, _ in api_contract.operations()}
    assert served == documented
    assert len(served) >= 12


def test_every_change_needs_the_csrf_token_and_only_login_is_public(api_contract: Any) -> None:
    for method, path, operation in api_contract.operations():
        security = operation.get("security", api_contract.document["security"])
        if path == f"{API}/login":
            assert security == [], "the login needs no session"
        elif method == "POST":
            assert security == [{"session": [], "csrf": []}], path
        else:
            assert security == [{"session": []}], path
        assert "401" in operation["responses"] or path == f"{API}/login"


# --- guards -----------------------------------------------------------------------------------


async def test_every_route_refuses_unauthenticated_calls(
    desk_server: Any, desk_data: Any, api_contract: Any
) -> None:
    ticket = desk_data.ticket()
    stranger = await desk_server.client()
    checked = 0
    for method, path, operation in api_contract.operations():
        if operation.get("security") == []:
            continue
        answer = await stranger.request(method, filled(path, ticket), json={"text": "hello"})
        assert answer.status == 401, f"{method} {path}"
        assert answer.body["error"]["code"] == "unauthenticated"
        api_contract.check(method, path, answer)
        checked += 1
    assert checked == len(list(api_contract.operations())) - 1
    assert desk_data.handoff(ticket).status == "open" and desk_data.outbox() == []


@pytest.mark.parametrize(
    "headers",
    [{"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}],
    ids=["foreign-origin", "sec-fetch-cross-site"],
)
async def test_cross_site_changes_are_refused(
    desk_server: Any, desk_data: Any, api_contract: Any, headers: dict[str, str]
) -> None:
    ticket = desk_data.ticket()
    alice = await signed_in(desk_server, desk_data)
    for method, path, _ in api_contract.operations():
        if method != "POST":
            continue
        body = {"text": "hello", "username": "alice", "password": "correct horse battery staple"}
        answer = await alice.post(filled(path, ticket), body, headers=headers)
        assert answer.status == 403, f"{method} {path}"
        assert answer.body["error"]["code"] == "cross_site"
        api_contract.check(method, path, answer)
    row = desk_data.handoff(ticket)
    assert row.status == "open" and row.assignee_id is None and desk_data.outbox() == []
    assert (await alice.get(f"{API}/me")).status == 200  # not even signed out


async def test_same_origin_changes_are_accepted(desk_server: Any, desk_data: Any) -> None:
    ticket = desk_data.ticket()
    alice = await signed_in(desk_server, desk_data)
    origin = str(desk_server.server.make_url("")).rstrip("/")
    answer = await alice.post(
        f"{API}/tickets/{ticket}/claim",
        headers={"Origin": origin, "Sec-Fetch-Site": "same-origin"},
    )
    assert answer.status == 200


@pytest.mark.parametrize("token", [None, "wrong-token"], ids=["missing", "wrong"])
async def test_changes_without_the_right_csrf_token_are_refused(
    desk_server: Any, desk_data: Any, api_contract: Any, token: str | None
) -> None:
    ticket = desk_data.ticket()
    alice = await signed_in(desk_server, desk_data)
    alice.csrf = token
    for method, path, _ in api_contract.operations():
        if method != "POST" or path == f"{API}/login":
            continue
        answer = await alice.post(filled(path, ticket), {"text": "hello"})
        assert answer.status == 403, f"{method} {path}"
        assert answer.body["error"]["code"] == "csrf"
        api_contract.check(method, path, answer)
    row = desk_data.handoff(ticket)
    assert row.status == "open" and row.assignee_id is None and desk_data.outbox() == []
    detail = await alice.get(f"{API}/tickets/{ticket}")
    assert [e for e in detail.body["transcript"] if e["kind"] == "note"] == []


async def test_a_deactivated_agent_is_out_at_once(desk_server: Any, desk_data: Any) -> None:
    alice = await signed_in(desk_server, desk_data)
    with desk_data.sessions.begin() as session:
        agent = session.get(Agent, desk_data.staff("alice").id)
        agent.active = False
    answer = await alice.get(f"{API}/tickets")
    assert answer.status == 401 and answer.body["error"]["code"] == "unauthenticated"


# --- signing in -------------------------------------------------------------------------------


async def test_login_answers_the_agent_and_a_csrf_token_and_sets_the_session_cookie(
    desk_server: Any, desk_data: Any, api_contract: Any
) -> None:
    desk_data.agent("alice", "Alice Smith", role="admin")
    client = await desk_server.client()
    answer = await client.login("  Alice ")  # user names are not case- or space-sensitive
    assert answer.status == 200
    api_contract.check("POST", f"{API}/login", answer)
    assert answer.body["agent"] == {
        "id": desk_data.staff("alice").id,
        "username": "alice",
        "name": "Alice Smith",
        "role": "admin",
    }
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE_NAME}=") and "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie and "Path=/desk" in cookie

    me = await client.get(f"{API}/me")
    assert me.status == 200 and me.body == answer.body
    api_contract.check("GET", f"{API}/me", me)

    out = await client.post(f"{API}/logout")
    assert out.status == 200 and out.body == {"signed_out": True}
    assert (await client.get(f"{API}/me")).status == 401


@pytest.mark.parametrize("username", ["alice", "nobody"])
async def test_a_wrong_password_or_unknown_user_gets_the_same_401(
    desk_server: Any, desk_data: Any, api_contract: Any, username: str
) -> None:
    desk_data.agent("alice")
    client = await desk_server.client()
    answer = await client.login(username, "not the password")
    assert answer.status == 401
    assert answer.body == {
        "error": {"code": "wrong_credentials", "message": "Wrong user name or password."}
    }
    api_contract.check("POST", f"{API}/login", answer)
    assert COOKIE_NAME not in answer.headers.get("Set-Cookie", "")
    assert (await client.get(f"{API}/me")).status == 401


async def test_five_wrong_passwords_slow_down_the_sixth_try_even_with_the_right_one(
    desk_server: Any, desk_data: Any, api_contract: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Long enough that a loaded machine still makes the sixth try inside the wait.
    monkeypatch.setattr(staff, "FIRST_WAIT", 3.0)
    desk_data.agent("alice")
    client = await desk_server.client()
    for _ in range(5):
        assert (await client.login("alice", "guessing wrong")).status == 401

    refused = await client.login("alice")
    assert refused.status == 429
    assert refused.body["error"]["code"] == "too_many_attempts"
    assert refused.body["error"]["message"] == (
        "Too many failed sign-ins: wait 3 seconds, then try again."
    )
    assert refused.headers["Retry-After"] == "3"
    api_contract.check("POST", f"{API}/login", refused)
    assert (await client.get(f"{API}/me")).status == 401

    await asyncio.sleep(int(refused.headers["Retry-After"]))
    assert (await client.login("alice")).status == 200
    assert (await client.get(f"{API}/me")).status == 200


async def test_login_takes_json_only(desk_server: Any, desk_data: Any) -> None:
    desk_data.agent("alice")
    client = await desk_server.client()
    form = await client.request(
        "POST",
        f"{API}/login",
        data={"username": "alice", "password": "correct horse battery staple"},
    )
    assert form.status == 415 and form.body["error"]["code"] == "unsupported_media_type"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"username": "alice"}, "The field `password` is missing."),
        ({"username": 7, "password": "x"}, "The field `username` must be a string."),
        (["alice", "pw"], "The body must be a JSON object."),
    ],
)
async def test_login_says_which_field_is_wrong(
    desk_server: Any, desk_data: Any, body: Any, message: str
) -> None:
    client = await desk_server.client()
    answer = await client.post(f"{API}/login", body)
    assert answer.status == 400
    assert answer.body == {"error": {"code": "bad_request", "message": message}}


# --- the queue --------------------------------------------------------------------------------


async def test_the_queue_lists_open_and_claimed_tickets_by_priority_then_due_time(
    desk_server: Any, desk_data: Any, api_contract: Any
) -> None:
    now = datetime.now(UTC)
    late = desk_data.ticket(priority="normal", sla_due_at=now + timedelta(minutes=50))
    soon = desk_data.ticket(priority="normal", sla_due_at=now + timedelta(minutes=5))
    urgent = desk_data.ticket(
        reason="complaint",
        priority="urgent",
        priority_signals=("complaint", "angry wording"),
        sla_due_at=now - timedelta(minutes=1),
    )
    closed = desk_data.ticket()
    alice = await signed_in(desk_server, desk_data)
    assert (await alice.post(f"{API}/tickets/{soon}/claim")).status == 200
    assert (await alice.post(f"{API}/tickets/{closed}/close")).status == 200

    answer = await alice.get(f"{API}/tickets")
    assert answer.status == 200
    api_contract.check("GET", f"{API}/tickets", answer)
    assert [t["id"] for t in answer.body["tickets"]] == [urgent, soon, late]
    assert answer.body["counts"] == {"open": 2, "claimed": 1}
    first = answer.body["tickets"][0]
    assert first["sla_breached"] is True and first["priority_signals"] == [
        "complaint",
        "angry wording",
    ]
    assert first["reason"] == "complaint" and first["customer"]["name"] == "Dana Customer"
    assert answer.body["tickets"][1]["assignee"] == {
        "id": desk_data.staff("alice").id,
        "name": "Alice",
    }

    async def ids(query: str) -> list[int]:
        found = await alice.get(f"{API}/tickets?{query}")
        assert found.status == 200, found.body
        return [t["id"] for t in found.body["tickets"]]

    assert await ids("status=open") == [urgent, late]
    assert await ids("status=claimed") == [soon]
    assert await ids("status=closed") == [closed]
    assert sorted(await ids("status=all")) == sorted([urgent, soon, late, closed])
    assert await ids("mine=true") == [soon]
    assert await ids("limit=1&offset=1") == [soon]


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("status=pending", "status"),
        ("mine=perhaps", "mine"),
        ("limit=501", "limit"),
        ("limit=0", "limit"),
        ("limit=ten", "limit"),
        ("offset=-1", "offset"),
    ],
)
async def test_the_queue_says_which_parameter_is_wrong(
    desk_server: Any, desk_data: Any, query: str, parameter: str
) -> None:
    alice = await signed_in(desk_server, desk_data)
    answer = await alice.get(f"{API}/tickets?{query}")
    assert answer.status == 400
    assert f"`{parameter}`" in answer.body["error"]["message"]


async def test_a_ticket_comes_with_its_context_transcript_and_profile_link(
    desk_server: Any, desk_data: Any, api_contract: Any
) -> None:
    ticket = desk_data.ticket("x", "777")
    desk_data.customer_writes(ticket, "hello? anyone there?")
    alice = await signed_in(desk_server, desk_data)
    answer = await alice.get(f"{API}/tickets/{ticket}")
    assert answer.status == 200
    api_contract.check("GET", f"{API}/tickets/{{ticket_id}}", answer)
    body = answer.body
    assert body["id"] == ticket and body["status"] == "open" and body["platform"] == "x"
    assert body["conversation"] == "x:page-1:777"
    assert body["profile_url"] == "https://x.com/i/user/777"
    assert body["intents"] == ["greet", "track_parcel", "human_handoff"]
    assert body["codes"][0]["code"] == "1Z5R89390357567127"
    assert body["codes"][0]["found"] == "in_transit"
    assert [(e["kind"], e["text"]) for e in body["transcript"]] == [
        ("customer", "where is my parcel"),
        ("bot", "It is on its way."),
        ("customer", "I want to talk to a human"),
        ("customer", "hello? anyone there?"),
    ]


async def test_an_unknown_ticket_is_a_json_404(
    desk_server: Any, desk_data: Any, api_contract: Any
) -> None:
    alice = await signed_in(desk_server, desk_data)
    for method, path in [
        ("GET", f"{API}/tickets/{{ticket_id}}"),
        ("POST", f"{API}/tickets/{{ticket_id}}/claim"),
        ("POST", f"{API}/tickets/{{ticket_id}}/close"),
    ]:
        answer = await alice.request(
            method, filled(path, 999), headers={"X-CSRF-Token": alice.csrf}
        )
        assert answer.status == 404, path
        assert answer.body == {"error": {"code": "not_found", "message": "There is no ticket 999."}}
        api_contract.check(method, path, answer)
    assert (await alice.get(f"{API}/tickets/abc")).body["error"]["code"] == "not_found"
    assert (await alice.get(f"{API}/nothing-here")).status == 404


async def test_canned_replies_are_listed_by_title(desk_server: Any, desk_data: Any) -> None:
    desk_data.canned_reply("Thanks", "Thanks for waiting!")
    desk_data.canned_reply("Address", "Could you confirm your address?")
    alice = await signed_in(desk_server, desk_data)
    answer = await alice.get(f"{API}/canned-replies")
    assert answer.status == 200
    assert [(r["title"], r["text"]) for r in answer.body["canned_replies"]] == [
        ("Address", "Could you confirm your address?"),
        ("Thanks", "Thanks for waiting!"),
    ]


# --- claiming ---------------------------------------------------------------------------------


@BOTH_DATABASES
async def test_two_agents_claiming_at_once_exactly_one_wins(
    desk_server: Any, desk_data: Any, api_contract: Any
) -> None:
    tickets = [desk_data.ticket() for _ in range(5)]
    alice = await signed_in(desk_server, desk_data, "alice")
    bob = await signed_in(desk_server, desk_data, "bob")
    names = {"alice": "Alice", "bob": "Bob"}

    for ticket in tickets:
        path = f"{API}/tickets/{ticket}/claim"
        answers = await asyncio.gather(alice.post(path), bob.post(path))
        assert sorted(a.status for a in answers) == [200, 409], [a.body for a in answers]
        winner = "alice" if answers[0].status == 200 else "bob"
        loser = answers[1] if winner == "alice" else answers[0]
        api_contract.check("POST", f"{API}/tickets/{{ticket_id}}/claim", loser)
        assert loser.body == {
            "error": {
                "code": "conflict",
                "message": f"Ticket {ticket} is already taken by {names[winner]}.",
            }
        }
        row = desk_data.handoff(ticket)
        assert row.status == "claimed" and row.assignee_id == desk_data.staff(winner).id


async def test_claiming_answers_the_ticket_and_claiming_again_is_harmless(
    desk_server: Any, desk_data: Any, api_contract: Any
) -> None:
    ticket = desk_data.ticket()
    alice = await signed_in(desk_server, desk_data)
    for _ in range(2):
        answer = await alice.post(f"{API}/tickets/{ticket}/claim")
        assert answer.status == 200
        api_contract.check("POST", f"{API}/tickets/{{ticket_id}}/claim", answer)
        assert answer.body["status"] == "claimed"
        assert answer.body["assignee"]["id"] == desk_data.staff("alice").id


# --- replying ---------------------------------------------------------------------------------


async def test_a_reply_is_queued_in_the_outbox_as_the_persons(
    desk_server: Any, desk_data: Any, api_contract: Any
) -> None:
    ticket = desk_data.ticket("messenger", "4321")
    alice = await signed_in(desk_server, desk_data)
    answer = await alice.post(
        f"{API}/tickets/{ticket}/messages", {"text": "  Hi Dana, I'm on it. "}
    )
    assert answer.status == 202
    api_contract.check("POST", f"{API}/tickets/{{ticket_id}}/messages", answer)
    [row] = desk_data.outbox()
    assert answer.body == {"outbox_id": row.id, "status": "pending"}
    assert row.text == "Hi Dana, I'm on it." and row.from_person is True
    assert row.agent_id == desk_data.staff("alice").id and row.handoff_request_id == ticket
    assert (row.platform, row.account_id, row.user_id) == ("messenger", "page-1", "4321")
    assert row.status == "pending"

    stored = desk_data.handoff(ticket)
    assert stored.status == "claimed" and stored.assignee_id == row.agent_id  # replying claims
    assert stored.first_response_at is not None
    detail = (await alice.get(f"{API}/tickets/{ticket}")).body
    assert detail["transcript"][-1] == {
        **detail["transcript"][-1],
        "kind": "agent",
        "text": "Hi Dana, I'm on it.",
        "author": "Alice",
        "delivery": "pending",
    }


async def test_a_messenger_reply_a_week_after_the_customer_wrote_is_refused_with_the_reason(
    desk_server: Any, desk_data: Any, api_contract: Any
) -> None:
    ticket = desk_data.ticket("messenger", at=datetime.now(UTC) - timedelta(days=8))
    alice = await signed_in(desk_server, desk_data)
    answer = await alice.post(f"{API}/tickets/{ticket}/messages", {"text": "Sorry for the wait"})
    assert answer.status == 422
    api_contract.check("POST", f"{API}/tickets/{{ticket_id}}/messages", answer)
    assert answer.body["error"]["code"] == "reply_not_allowed"
    message = answer.body["error"]["message"]
    assert "Messenger lets a person reply only within 7 days" in message
    assert "theirs was 8 days ago" in message
    assert desk_data.outbox() == []
    row = desk_data.handoff(ticket)
    assert row.status == "open" and row.first_response_at is None


async def test_an_x_reply_has_no_time_limit(desk_server: Any, desk_data: Any) -> None:
    ticket = desk_data.ticket("x", at=datetime.now(UTC) - timedelta(days=30))
    alice = await signed_in(desk_server, desk_data)
    answer = await alice.post(f"{API}/tickets/{ticket}/messages", {"text": "Still here"})
    assert answer.status == 202


async def test_replying_to_a_ticket_another_agent_owns_is_a_conflict(
    desk_server: Any, desk_data: Any
) -> None:
    ticket = desk_data.ticket()
    alice = await signed_in(desk_server, desk_data, "alice")
    bob = await signed_in(desk_server, desk_data, "bob")
    assert (await alice.post(f"{API}/tickets/{ticket}/claim")).status == 200
    answer = await bob.post(f"{API}/tickets/{ticket}/messages", {"text": "Hello"})
    assert answer.status == 409
    assert answer.body["error"]["message"] == f"Ticket {ticket} is already taken by Alice."
    assert desk_data.outbox() == []


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ("not json", 400, "The body is not valid JSON"),
        ({"text": 5}, 400, "The field `text` must be a string."),
        ({"message": "hi"}, 400, "The field `text` is missing."),
        ([{"text": "hi"}], 400, "The body must be a JSON object."),
        ({"text": "   "}, 400, "The reply is empty."),
        ({"text": "x" * 5001}, 400, "The reply is 5,001 characters; the limit is 5,000."),
        ({"text": "x" * 70_000}, 413, "The body is larger than 64 KiB, the limit."),
    ],
    ids=["not-json", "wrong-type", "missing", "array", "blank", "too-long", "too-large"],
)
async def test_a_bad_reply_body_is_refused_saying_why(
    desk_server: Any,
    desk_data: Any,
    api_contract: Any,
    body: Any,
    status: int,
    message: str,
) -> None:
    ticket = desk_data.ticket()
    alice = await signed_in(desk_server, desk_data)
    path = f"{API}/tickets/{ticket}/messages"
    if isinstance(body, str):
        headers = {"Content-Type": "application/json", "X-CSRF-Token": alice.csrf}
        answer = await alice.request("POST", path, data=body, headers=headers)
    else:
        answer = await alice.post(path, body)
    assert answer.status == status
    assert answer.body["error"]["message"].startswith(message)
    api_contract.check("POST", f"{API}/tickets/{{ticket_id}}/messages", answer)
    assert desk_data.outbox() == []


async def test_a_reply_sent_as_a_form_is_refused_as_not_json(
    desk_server: Any, desk_data: Any
) -> None:
    ticket = desk_data.ticket()
    alice = await signed_in(desk_server, desk_data)
    answer = await alice.request(
        "POST",
        f"{API}/tickets/{ticket}/messages",
        data={"text": "hi", "csrf_token": alice.csrf},
    )
    assert answer.status == 415 and desk_data.outbox() == []


# --- notes, closing, returning to the bot -----------------------------------------------------


async def test_a_note_is_added_to_the_transcript_and_never_sent(
    desk_server: Any, desk_data: Any, api_contract: Any
) -> None:
    ticket = desk_data.ticket()
    alice = await signed_in(desk_server, desk_data)
    answer = await alice.post(f"{API}/tickets/{ticket}/notes", {"text": "Called the courier."})
    assert answer.status == 201
    api_contract.check("POST", f"{API}/tickets/{{ticket_id}}/notes", answer)
    detail = (await alice.get(f"{API}/tickets/{ticket}")).body
    note = detail["transcript"][-1]
    assert (note["kind"], note["text"], note["author"]) == ("note", "Called the courier.", "Alice")
    assert desk_data.outbox() == [] and detail["status"] == "open"


async def test_closing_resumes_the_assistant_then_closes_the_ticket(
    desk_server: Any, desk_data: Any, fake_engine: Any, api_contract: Any
) -> None:
    ticket = desk_data.ticket("messenger", "5150")
    alice = await signed_in(desk_server, desk_data)
    answer = await alice.post(f"{API}/tickets/{ticket}/close")
    assert answer.status == 200
    api_contract.check("POST", f"{API}/tickets/{{ticket_id}}/close", answer)
    assert answer.body["status"] == "closed" and answer.body["resolution"] == "closed"
    assert fake_engine.events == [("messenger:page-1:5150", {"event": "resume"})]
    assert desk_data.outbox() == []  # closing says nothing to the customer
    assert (await alice.get(f"{API}/tickets?status=open")).body["tickets"] == []


async def test_returning_to_the_bot_resumes_it_and_tells_the_customer(
    desk_server: Any, desk_data: Any, fake_engine: Any, api_contract: Any
) -> None:
    ticket = desk_data.ticket("messenger", "5151")
    alice = await signed_in(desk_server, desk_data)
    answer = await alice.post(f"{API}/tickets/{ticket}/return-to-bot")
    assert answer.status == 200
    api_contract.check("POST", f"{API}/tickets/{{ticket_id}}/return-to-bot", answer)
    assert answer.body["status"] == "closed"
    assert answer.body["resolution"] == "returned_to_bot"
    assert fake_engine.events == [("messenger:page-1:5151", {"event": "resume"})]
    [told] = desk_data.outbox(ticket)
    assert told.text == BACK_TO_BOT and told.from_person is False and told.user_id == "5151"


@pytest.mark.parametrize("action", ["close", "return-to-bot"])
async def test_with_the_engine_down_the_ticket_stays_open_and_the_answer_is_503(
    desk_server: Any, desk_data: Any, fake_engine: Any, api_contract: Any, action: str
) -> None:
    ticket = desk_data.ticket()
    alice = await signed_in(desk_server, desk_data)
    assert (await alice.post(f"{API}/tickets/{ticket}/claim")).status == 200
    await fake_engine.stop()
    answer = await alice.post(f"{API}/tickets/{ticket}/{action}")
    assert answer.status == 503
    api_contract.check("POST", f"{API}/tickets/{{ticket_id}}/{action}", answer)
    assert answer.body["error"]["code"] == "engine_unreachable"
    assert answer.body["error"]["message"].startswith(
        "The assistant cannot be reached right now, so the conversation stays with you."
    )
    row = desk_data.handoff(ticket)
    assert row.status == "claimed" and row.closed_at is None and desk_data.outbox() == []


async def test_a_closed_ticket_cannot_be_closed_or_answered_again(
    desk_server: Any, desk_data: Any
) -> None:
    ticket = desk_data.ticket()
    alice = await signed_in(desk_server, desk_data)
    assert (await alice.post(f"{API}/tickets/{ticket}/close")).status == 200
    for path, body in [("close", None), ("messages", {"text": "hi"}), ("claim", None)]:
        answer = await alice.post(f"{API}/tickets/{ticket}/{path}", body)
        assert answer.status == 409, path
        assert answer.body["error"]["message"] == f"Ticket {ticket} is closed."
