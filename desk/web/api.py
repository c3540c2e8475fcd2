"""The desk's JSON API under /desk/api/, described at /desk/api/openapi.json (openapi.py).

Handlers are thin: check the request, call `desk.service.Desk`, answer JSON. Before a handler
runs, the guard middleware (auth.py) has refused cross-site changes, unauthenticated changes and
a missing CSRF token; `signed_in` refuses unauthenticated reads. Every failure is JSON
`{"error": {"code", "message"}}` with a message an agent (or a tool's user) can act on.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from functools import wraps
from typing import Any

from aiohttp import web
from sqlalchemy import select

from desk.service import EngineUnreachable
from desk.tickets import (
    DeskError,
    ReplyNotAllowed,
    TicketConflict,
    TicketDetail,
    TicketNotFound,
)
from desk.web.auth import agent_of, csrf_token, json_error, log_in, log_out, signed_in
from desk.web.openapi import LIST_LIMIT_DEFAULT, LIST_LIMIT_MAX, document
from desk.web.state import DESK, DESK_SESSIONS
from store.models import Agent, CannedReply, HandoffStatus

log = logging.getLogger(__name__)

routes = web.RouteTableDef()

# Replies and notes are at most 5,000 characters. The gateway (the parent app) reads bodies up
# to its own, larger limit, so the API enforces this one itself.
MAX_BODY_BYTES = 64 * 1024

STATUS_FILTERS: dict[str, tuple[HandoffStatus, ...] | None] = {
    "open": (HandoffStatus.OPEN,),
    "claimed": (HandoffStatus.CLAIMED,),
    "closed": (HandoffStatus.CLOSED,),
    "all": tuple(HandoffStatus),
}
TRUE, FALSE = frozenset({"true", "1", "yes"}), frozenset({"false", "0", "no", ""})

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ApiError(Exception):
    """A request the API refuses before it reaches the desk."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _error_code(error: DeskError) -> str:
    for kind, code in (
        (TicketNotFound, "not_found"),
        (TicketConflict, "conflict"),
        (ReplyNotAllowed, "reply_not_allowed"),
        (EngineUnreachable, "engine_unreachable"),
    ):
        if isinstance(error, kind):
            return code
    return "refused"


def endpoint(handler: Handler) -> Handler:
    """Answers what the API or the desk refuses as JSON errors, and a crash as a JSON 500."""

    @wraps(handler)
    async def run(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except ApiError as error:
            return json_error(error.status, error.code, error.message)
        except DeskError as error:
            return json_error(error.status, _error_code(error), str(error))
        except web.HTTPException:
            raise
        except Exception:
            log.exception("desk api: %s %s failed", request.method, request.path)
            return json_error(500, "internal", "Something went wrong on our side; it is logged.")

    return run


# --- reading requests -------------------------------------------------------------------------


async def read_json(request: web.Request) -> dict[str, Any]:
    """The body as a JSON object; ApiError (400, 413, 415) says what is wrong with it."""
    too_large = ApiError(
        413, "too_large", f"The body is larger than {MAX_BODY_BYTES // 1024} KiB, the limit."
    )
    if request.content_type != "application/json":
        raise ApiError(
            415, "unsupported_media_type", "Send a JSON body (Content-Type: application/json)."
        )
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise too_large
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise too_large from None
    if len(raw) > MAX_BODY_BYTES:
        raise too_large
    try:
        body = json.loads(raw)
    except ValueError as error:  # UnicodeDecodeError included
        raise ApiError(400, "bad_request", f"The body is not valid JSON: {error}.") from None
    if not isinstance(body, dict):
        raise ApiError(400, "bad_request", "The body must be a JSON object.")
    return body


def text_field(body: Mapping[str, Any], name: str) -> str:
    """A required string field; ApiError naming the field otherwise."""
    if name not in body:
        raise ApiError(400, "bad_request", f"The field `{name}` is missing.")
    value = body[name]
    if not isinstance(value, str):
        raise ApiError(400, "bad_request", f"The field `{name}` must be a string.")
    return value


def int_param(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise ApiError(
            400, "bad_request", f"The parameter `{name}` must be a whole number {low} to {high}."
        )
    return value


def ticket_id(request: web.Request) -> int:
    # The route only matches digits; very long ones are no ticket either.
    value = int(request.match_info["ticket_id"])
    if value > 2**31 - 1:
        raise TicketNotFound(f"There is no ticket {value}.")
    return value


# --- answers ----------------------------------------------------------------------------------


def agent_json(agent: Agent) -> dict[str, Any]:
    return {
        "id": agent.id,
        "username": agent.username,
        "name": agent.display_name,
        "role": agent.role.value,
    }


def ticket_json(request: web.Request, ticket: TicketDetail) -> dict[str, Any]:
    data = ticket.as_json(datetime.now(UTC))
    data["profile_url"] = request.config_dict[DESK].profile_url(
        ticket.ticket.platform, ticket.ticket.customer_id, ticket.customer_handle
    )
    return data


async def ticket_response(request: web.Request, ticket_id: int) -> web.Response:
    detail = await request.config_dict[DESK].ticket(ticket_id)
    return web.json_response(ticket_json(request, detail))


# --- session ----------------------------------------------------------------------------------


@routes.post("/api/login")
@endpoint
async def login(request: web.Request) -> web.StreamResponse:
    body = await read_json(request)
    username, password = text_field(body, "username"), text_field(body, "password")
    result = await log_in(request, username, password)
    if result.retry_after > 0:
        seconds = max(1, math.ceil(result.retry_after))
        return json_error(
            429,
            "too_many_attempts",
            f"Too many failed sign-ins: wait {seconds} second{'s' if seconds > 1 else ''}, "
            "then try again.",
            **{"Retry-After": str(seconds)},
        )
    if result.agent is None:
        return json_error(401, "wrong_credentials", "Wrong user name or password.")
    return web.json_response(
        {"agent": agent_json(result.agent), "csrf_token": await csrf_token(request)}
    )


@routes.post("/api/logout")
@signed_in
@endpoint
async def logout(request: web.Request) -> web.StreamResponse:
    await log_out(request)
    return web.json_response({"signed_out": True})


@routes.get("/api/me")
@signed_in
@endpoint
async def me(request: web.Request) -> web.StreamResponse:
    return web.json_response(
        {"agent": agent_json(agent_of(request)), "csrf_token": await csrf_token(request)}
    )


# --- tickets ----------------------------------------------------------------------------------


@routes.get("/api/tickets")
@signed_in
@endpoint
async def list_tickets(request: web.Request) -> web.StreamResponse:
    status = request.query.get("status")
    if status is not None and status not in STATUS_FILTERS:
        raise ApiError(
            400, "bad_request", "The parameter `status` must be open, claimed, closed or all."
        )
    mine = request.query.get("mine", "").lower()
    if mine not in TRUE | FALSE:
        raise ApiError(400, "bad_request", "The parameter `mine` must be true or false.")
    limit = int_param(request, "limit", LIST_LIMIT_DEFAULT, 1, LIST_LIMIT_MAX)
    offset = int_param(request, "offset", 0, 0, 2**31 - 1)
    desk = request.config_dict[DESK]
    found, counts = await asyncio.gather(
        desk.queue(
            statuses=STATUS_FILTERS[status] if status else None,
            assignee_id=agent_of(request).id if mine in TRUE else None,
            limit=limit,
            offset=offset,
        ),
        desk.counts(),
    )
    now = datetime.now(UTC)
    return web.json_response(
        {"tickets": [ticket.as_json(now) for ticket in found], "counts": counts}
    )


@routes.get(r"/api/tickets/{ticket_id:\d+}")
@signed_in
@endpoint
async def get_ticket(request: web.Request) -> web.StreamResponse:
    return await ticket_response(request, ticket_id(request))


@routes.post(r"/api/tickets/{ticket_id:\d+}/claim")
@signed_in
@endpoint
async def claim(request: web.Request) -> web.StreamResponse:
    number = ticket_id(request)
    await request.config_dict[DESK].claim(number, agent_of(request))
    return await ticket_response(request, number)


@routes.post(r"/api/tickets/{ticket_id:\d+}/messages")
@signed_in
@endpoint
async def send_message(request: web.Request) -> web.StreamResponse:
    text = text_field(await read_json(request), "text")
    outbox_id = await request.config_dict[DESK].reply(ticket_id(request), agent_of(request), text)
    return web.json_response({"outbox_id": outbox_id, "status": "pending"}, status=202)


@routes.post(r"/api/tickets/{ticket_id:\d+}/notes")
@signed_in
@endpoint
async def add_note(request: web.Request) -> web.StreamResponse:
    text = text_field(await read_json(request), "text")
    note_id = await request.config_dict[DESK].note(ticket_id(request), agent_of(request), text)
    return web.json_response({"note_id": note_id}, status=201)


@routes.post(r"/api/tickets/{ticket_id:\d+}/return-to-bot")
@signed_in
@endpoint
async def return_to_bot(request: web.Request) -> web.StreamResponse:
    number = ticket_id(request)
    await request.config_dict[DESK].return_to_bot(number, agent_of(request))
    return await ticket_response(request, number)


@routes.post(r"/api/tickets/{ticket_id:\d+}/close")
@signed_in
@endpoint
async def close(request: web.Request) -> web.StreamResponse:
    number = ticket_id(request)
    await request.config_dict[DESK].close(number, agent_of(request))
    return await ticket_response(request, number)


@routes.get("/api/canned-replies")
@signed_in
@endpoint
async def canned_replies(request: web.Request) -> web.StreamResponse:
    def read() -> list[dict[str, Any]]:
        with request.config_dict[DESK_SESSIONS]() as session:
            return [
                {"id": reply.id, "title": reply.title, "text": reply.text}
                for reply in session.scalars(select(CannedReply).order_by(CannedReply.title))
            ]

    return web.json_response({"canned_replies": await asyncio.to_thread(read)})


@routes.get("/api/openapi.json")
@signed_in
@endpoint
async def openapi(request: web.Request) -> web.StreamResponse:
    return web.json_response(document())
