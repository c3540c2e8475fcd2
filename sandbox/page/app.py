"""The sandbox page and its small backend; the simulators start and stop with it.

GET  /                   the chat page (static HTML and a little vanilla JS, nothing external)
POST /api/send           {platform, user_id, name, text | payload}: the customer writes, and
                         the platform's simulator posts the signed webhook to the gateway
GET  /api/conversation   ?platform=&user_id=: both sides of that customer's conversation
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from sandbox.page.channels import MessengerChannel, XChannel
from sandbox.page.conversations import Conversations
from sandbox.simulator.server import SandboxConfig, Simulators

STATIC = Path(__file__).parent / "static"
PLATFORMS = ("messenger", "x")
MAX_TEXT_CHARS = 10_000
MAX_NAME_CHARS = 60
# Messenger page-scoped ids and X user ids are both numbers; X's simulator relies on it.
_USER_ID = re.compile(r"[0-9]{1,20}")

CONFIG = web.AppKey("config", SandboxConfig)
SIMULATORS = web.AppKey("simulators", Simulators)
CONVERSATIONS = web.AppKey("conversations", Conversations)


def page_app(config: SandboxConfig) -> web.Application:
    """The page's application; starting it starts both simulators."""
    app = web.Application()
    app[CONFIG] = config
    app.cleanup_ctx.append(_simulators)
    app.add_routes(
        [
            web.get("/", index),
            web.post("/api/send", send),
            web.get("/api/conversation", conversation),
            web.static("/static", STATIC),
        ]
    )
    return app


async def _simulators(app: web.Application) -> AsyncIterator[None]:
    async with Simulators(app[CONFIG]) as simulators:
        app[SIMULATORS] = simulators
        app[CONVERSATIONS] = Conversations(
            {
                "messenger": MessengerChannel(
                    simulators.messenger, simulators.messenger_webhook_url
                ),
                "x": XChannel(simulators.x, simulators.x_webhook_url),
            }
        )
        yield


async def index(request: web.Request) -> web.FileResponse:
    # The policy makes "no external assets" something the browser enforces.
    headers = {"Content-Security-Policy": "default-src 'self'", "Cache-Control": "no-cache"}
    return web.FileResponse(STATIC / "index.html", headers=headers)


@dataclass(frozen=True)
class SendRequest:
    platform: str
    user_id: str
    name: str
    text: str
    payload: str | None

    @classmethod
    def from_json(cls, body: Any) -> SendRequest:
        """The request, or ValueError saying what is wrong with it."""
        if not isinstance(body, dict):
            raise ValueError("expected a JSON object")
        platform, user_id = _customer(body.get("platform"), body.get("user_id"))
        name, text, payload = body.get("name") or "", body.get("text") or "", body.get("payload")
        if not isinstance(name, str) or not isinstance(text, str):
            raise ValueError("name and text must be strings")
        if payload is not None and (not isinstance(payload, str) or not payload):
            raise ValueError("payload must be a non-empty string")
        if not text.strip() and payload is None:
            raise ValueError("text or payload is required")
        if len(text) > MAX_TEXT_CHARS:
            raise ValueError(f"text must be at most {MAX_TEXT_CHARS} characters")
        name = name.strip()[:MAX_NAME_CHARS] or "Customer"
        # A tapped quick reply without its title still needs words in the chat.
        return cls(platform, user_id, name, text or str(payload), payload)


async def send(request: web.Request) -> web.Response:
    try:
        wanted = SendRequest.from_json(await request.json())
    except ValueError as error:
        return web.json_response({"error": str(error)}, status=400)
    conversations = request.app[CONVERSATIONS]
    message = conversations.customer_wrote(wanted.platform, wanted.user_id, wanted.text)
    channel = conversations.channels[wanted.platform]
    answer = await channel.post(wanted.user_id, wanted.name, wanted.text, wanted.payload)
    message.delivered = answer.accepted
    if not answer.accepted:
        reason = answer.body if answer.status is None else f"{answer.status}: {answer.body[:300]}"
        body = {"error": f"The gateway did not take the message ({reason})"}
        return web.json_response(body | {"gateway_status": answer.status}, status=502)
    return web.json_response({"gateway_status": answer.status})


async def conversation(request: web.Request) -> web.Response:
    try:
        platform, user_id = _customer(request.query.get("platform"), request.query.get("user_id"))
    except ValueError as error:
        return web.json_response({"error": str(error)}, status=400)
    return web.json_response(request.app[CONVERSATIONS].as_json(platform, user_id))


def _customer(platform: Any, user_id: Any) -> tuple[str, str]:
    if platform not in PLATFORMS:
        raise ValueError(f"platform must be one of {', '.join(PLATFORMS)}")
    if not isinstance(user_id, str) or not _USER_ID.fullmatch(user_id):
        raise ValueError("user_id must be a number of up to 20 digits")
    return platform, user_id
