"""The agent console's pages: sign-in, the queue, one ticket, and the fragments live pages fetch.

Forms follow Post/Redirect/Get: a done action leaves a one-line notice in the session for the
next page. A refused one (DeskError: "already taken by Alice", the Messenger 7-day window, ...)
shows the same page again with the message, the agent's draft kept, and the error's status.
Fragments answer 401 rather than redirect when the session is gone, so live.js can reload the
whole page (and land on the sign-in form) instead of swapping a login form into a table.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn
from urllib.parse import quote, urlsplit

import aiohttp_jinja2
from aiohttp import web
from aiohttp_session import get_session
from sqlalchemy import select

from desk.service import Desk
from desk.tickets import DeskError, TicketDetail, TicketNotFound, TicketSummary
from desk.web.auth import agent_of, csrf_token, current_agent, log_in, log_out, signed_in
from desk.web.state import DESK, DESK_SESSIONS
from store.models import Agent, AgentRole, CannedReply, HandoffStatus

routes = web.RouteTableDef()

HOME = "/desk/"
QUEUE_LIMIT = 200  # a page an agent can scan; more waiting means the queue needs people, not paging
NOTICE_KEY = "desk_notice"
# Where a sign-in may send the agent next: our own pages only, never a fragment or the API.
_NOT_LANDINGS = ("/desk/login", "/desk/logout", "/desk/api/", "/desk/events", "/desk/fragments/")

REASONS = {
    "customer_request": "Asked for a person",
    "repeated_misunderstanding": "Bot did not understand twice",
    "unknown_code": "Code not found",
    "invalid_code": "Invalid code three times",
    "delivery_problem": "Delivery problem",
    "complaint": "Complaint",
    "other": "Needs a person",
}
PLATFORMS = {"messenger": "Messenger", "x": "X"}
CODE_KINDS = {"tracking_number": "Tracking number", "order_code": "Order code"}
CODE_PROBLEMS = {
    "check_digit": "check digit does not match",
    "unrecognised": "format not recognised",
}


# --- formatting the templates call --------------------------------------------------------


def duration(seconds: float) -> str:
    """'just now', '4 min', '2 h 05 min', '3 d 2 h' — what a waiting time reads like."""
    minutes = int(max(seconds, 0) // 60)
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


@dataclass(frozen=True)
class Sla:
    """The SLA timer of a ticket as the page shows it; `due` set while it is still running."""

    text: str
    breached: bool
    due: datetime | None


def sla(ticket: TicketSummary, now: datetime) -> Sla:
    if ticket.sla_due_at is None:
        return Sla("no SLA", False, None)
    breached = ticket.sla_breached(now)
    if ticket.first_response_at is not None:
        return Sla(
            "answered late (SLA breached)" if breached else "answered in time", breached, None
        )
    if ticket.status is HandoffStatus.CLOSED:
        return Sla("closed unanswered" + (" (SLA breached)" if breached else ""), breached, None)
    return Sla(countdown((ticket.sla_due_at - now).total_seconds()), breached, ticket.sla_due_at)


def countdown(left: float) -> str:
    """The running SLA timer (live.js writes the same every second)."""
    if left < 0:
        return "SLA breached just now" if -left < 60 else f"SLA breached {duration(-left)} ago"
    return "due in under a minute" if left < 60 else f"due in {duration(left)}"


def platform_name(platform: str) -> str:
    return PLATFORMS.get(platform, platform.capitalize())


def customer_name(ticket: TicketSummary) -> str:
    return ticket.customer_name or f"{platform_name(ticket.platform)} user {ticket.customer_id}"


def clock(value: datetime | None) -> str:
    """A time as UTC text; live.js shows it in the agent's own time zone."""
    return value.astimezone(UTC).strftime("%d %b %H:%M UTC") if value else "—"


def state_line(ticket: TicketSummary) -> str:
    if ticket.status is HandoffStatus.CLOSED:
        how = "returned to the bot" if ticket.resolution == "returned_to_bot" else "closed"
        return f"Closed ({how})"
    if ticket.status is HandoffStatus.CLAIMED:
        return f"Claimed by {ticket.assignee_name or 'someone'}"
    return "Open: nobody has claimed it yet"


HELPERS: dict[str, Any] = {
    "duration": duration,
    "sla": sla,
    "platform_name": platform_name,
    "customer_name": customer_name,
    "clock": clock,
    "state_line": state_line,
    "reasons": REASONS,
    "code_kinds": CODE_KINDS,
    "code_problems": CODE_PROBLEMS,
}


# --- rendering ----------------------------------------------------------------------------


async def render(
    request: web.Request,
    template: str,
    context: dict[str, Any],
    *,
    section: str = "queue",
    status: int = 200,
    error: str | None = None,
) -> web.Response:
    """A whole page: the layout's variables, the pending notice, and `error` when refused."""
    session = await get_session(request)
    notice = session.pop(NOTICE_KEY, None)
    page = {
        "agent": await current_agent(request),
        "csrf_token": await csrf_token(request),
        "section": section,
        "notice": notice,
        "error": error,
        "now": datetime.now(UTC),
        **HELPERS,
    }
    return aiohttp_jinja2.render_template(template, request, page | context, status=status)


def fragment(request: web.Request, template: str, context: dict[str, Any]) -> web.Response:
    page = {"now": datetime.now(UTC), **HELPERS}
    return aiohttp_jinja2.render_template(template, request, page | context)


async def done(request: web.Request, notice: str, location: str) -> NoReturn:
    """Post/Redirect/Get: the notice shows once, on the page we send the agent to."""
    session = await get_session(request)
    session[NOTICE_KEY] = notice
    raise web.HTTPSeeOther(location)


def desk(request: web.Request) -> Desk:
    return request.config_dict[DESK]


async def form(request: web.Request) -> dict[str, str]:
    data = await request.post()
    return {key: value for key, value in data.items() if isinstance(value, str)}


# --- signing in and out -------------------------------------------------------------------


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path of ours, never another site (open redirect)."""
    if not target or any(ord(ch) < 0x20 for ch in target) or "\\" in target:
        return HOME
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith(HOME):
        return HOME
    if target.startswith(_NOT_LANDINGS) or "/../" in parts.path or parts.path.endswith("/.."):
        return HOME
    return target


@routes.get("/login")
async def login_page(request: web.Request) -> web.StreamResponse:
    target = safe_next(request.query.get("next"))
    if await current_agent(request) is not None:
        raise web.HTTPSeeOther(target)
    return await render(request, "login.html", {"next": target, "username": ""}, section="")


@routes.post("/login")
async def login(request: web.Request) -> web.StreamResponse:
    data = await form(request)
    target = safe_next(data.get("next"))
    username = data.get("username", "").strip()
    result = await log_in(request, username, data.get("password", ""))
    if result.agent is not None:
        raise web.HTTPSeeOther(target)
    page = {"next": target, "username": username}
    if result.retry_after > 0:
        seconds = max(1, math.ceil(result.retry_after))
        response = await render(
            request,
            "login.html",
            page,
            section="",
            status=429,
            error=f"Too many failed sign-ins — try again in {seconds} second"
            + ("s" if seconds != 1 else ""),
        )
        response.headers["Retry-After"] = str(seconds)
        return response
    return await render(
        request,
        "login.html",
        page,
        section="",
        status=401,
        error="Wrong user name or password (or the account is switched off).",
    )


@routes.post("/logout")
async def logout(request: web.Request) -> web.StreamResponse:
    await log_out(request)
    raise web.HTTPSeeOther("/desk/login")


# --- the queue ----------------------------------------------------------------------------


async def _queue(request: web.Request, agent: Agent) -> dict[str, Any]:
    mine = request.query.get("mine") == "1"
    tickets = await desk(request).queue(assignee_id=agent.id if mine else None, limit=QUEUE_LIMIT)
    return {"tickets": tickets, "mine": mine, "me": agent, "limit": QUEUE_LIMIT}


@routes.get("")
async def bare_prefix(request: web.Request) -> web.StreamResponse:
    """/desk, as typed into the address bar."""
    raise web.HTTPMovedPermanently(HOME)


@routes.get("/")
@signed_in
async def queue_page(request: web.Request) -> web.StreamResponse:
    return await render(request, "queue.html", await _queue(request, agent_of(request)))


@routes.get("/fragments/queue")
async def queue_fragment(request: web.Request) -> web.StreamResponse:
    agent = await current_agent(request)
    if agent is None:
        return _signed_out()
    context = await _queue(request, agent)
    context["csrf_token"] = await csrf_token(request)
    return fragment(request, "_queue_rows.html", context)


def _signed_out() -> web.Response:
    return web.Response(status=401, text="Signed out: reload the page to sign in.")


# --- one ticket ---------------------------------------------------------------------------


def _ticket_id(request: web.Request) -> int:
    return int(request.match_info["id"])


async def _canned_replies(request: web.Request) -> list[tuple[str, str]]:
    def read() -> list[tuple[str, str]]:
        with request.config_dict[DESK_SESSIONS]() as session:
            rows = session.execute(
                select(CannedReply.title, CannedReply.text).order_by(CannedReply.title)
            )
            return [(title, text) for title, text in rows]

    return await asyncio.to_thread(read)


def reply_deadline(detail: TicketDetail, window: timedelta | None) -> datetime | None:
    """Until when a person may still answer on this platform (None: no limit)."""
    if window is None:
        return None
    return (detail.last_customer_message_at or detail.ticket.created_at) + window


async def ticket_page_response(
    request: web.Request,
    *,
    status: int = 200,
    error: str | None = None,
    draft: str = "",
    note_draft: str = "",
) -> web.Response:
    ticket_id = _ticket_id(request)
    agent = agent_of(request)
    try:
        detail = await desk(request).ticket(ticket_id)
    except TicketNotFound as missing:
        return await render(
            request, "missing.html", {"message": str(missing)}, status=404, error=error
        )
    ticket = detail.ticket
    rules = desk(request).rules(ticket.platform)
    deadline = reply_deadline(detail, rules.person_reply_window)
    closed = ticket.status is HandoffStatus.CLOSED
    # Mirrors desk.tickets._owned, to show only the buttons that will work.
    may_act = not closed and (
        ticket.assignee_id in (None, agent.id) or agent.role is AgentRole.ADMIN
    )
    context = {
        "detail": detail,
        "ticket": ticket,
        "profile_url": desk(request).profile_url(
            ticket.platform, ticket.customer_id, detail.customer_handle
        ),
        "can_send": rules.can_send,
        "reply_deadline": deadline,
        "window_passed": deadline is not None and deadline < datetime.now(UTC),
        "closed": closed,
        "may_act": may_act,
        "canned": await _canned_replies(request),
        "draft": draft,
        "note_draft": note_draft,
        "me": agent,
    }
    return await render(request, "ticket.html", context, status=status, error=error)


@routes.get(r"/tickets/{id:\d+}")
@signed_in
async def ticket_page(request: web.Request) -> web.StreamResponse:
    return await ticket_page_response(request)


@routes.get(r"/fragments/tickets/{id:\d+}/transcript")
async def transcript_fragment(request: web.Request) -> web.StreamResponse:
    if await current_agent(request) is None:
        return _signed_out()
    try:
        detail = await desk(request).ticket(_ticket_id(request))
    except TicketNotFound as missing:
        return web.Response(status=404, text=str(missing))
    response = fragment(request, "_transcript.html", {"detail": detail})
    # live.js puts this in the page's status line: someone else may claim or close the ticket.
    response.headers["X-Ticket-State"] = quote(state_line(detail.ticket))  # names may be UTF-8
    return response


@routes.post(r"/tickets/{id:\d+}/claim")
@signed_in
async def claim(request: web.Request) -> web.StreamResponse:
    ticket_id = _ticket_id(request)
    data = await form(request)
    try:
        await desk(request).claim(ticket_id, agent_of(request))
    except DeskError as refused:
        if data.get("from") == "queue":
            return await render(
                request,
                "queue.html",
                await _queue(request, agent_of(request)),
                status=refused.status,
                error=str(refused),
            )
        return await ticket_page_response(request, status=refused.status, error=str(refused))
    await done(request, f"You claimed ticket #{ticket_id}.", f"/desk/tickets/{ticket_id}")


@routes.post(r"/tickets/{id:\d+}/reply")
@signed_in
async def reply(request: web.Request) -> web.StreamResponse:
    ticket_id = _ticket_id(request)
    text = (await form(request)).get("text", "")
    try:
        await desk(request).reply(ticket_id, agent_of(request), text)
    except DeskError as refused:
        return await ticket_page_response(
            request, status=refused.status, error=str(refused), draft=text
        )
    await done(
        request,
        "Reply queued: it goes out to the customer now; its delivery shows in the conversation.",
        f"/desk/tickets/{ticket_id}",
    )


@routes.post(r"/tickets/{id:\d+}/notes")
@signed_in
async def note(request: web.Request) -> web.StreamResponse:
    ticket_id = _ticket_id(request)
    text = (await form(request)).get("text", "")
    try:
        await desk(request).note(ticket_id, agent_of(request), text)
    except DeskError as refused:
        return await ticket_page_response(
            request, status=refused.status, error=str(refused), note_draft=text
        )
    await done(request, "Note added (staff only).", f"/desk/tickets/{ticket_id}")


@routes.post(r"/tickets/{id:\d+}/return-to-bot")
@signed_in
async def return_to_bot(request: web.Request) -> web.StreamResponse:
    ticket_id = _ticket_id(request)
    try:
        await desk(request).return_to_bot(ticket_id, agent_of(request))
    except DeskError as refused:
        return await ticket_page_response(request, status=refused.status, error=str(refused))
    await done(
        request, f"Ticket #{ticket_id} is back with the bot: it answers the next message.", HOME
    )


@routes.post(r"/tickets/{id:\d+}/close")
@signed_in
async def close(request: web.Request) -> web.StreamResponse:
    ticket_id = _ticket_id(request)
    try:
        await desk(request).close(ticket_id, agent_of(request))
    except DeskError as refused:
        return await ticket_page_response(request, status=refused.status, error=str(refused))
    await done(request, f"Ticket #{ticket_id} is closed.", HOME)
