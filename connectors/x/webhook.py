"""The Account Activity webhook: `GET /webhooks/x` answers X's CRC, `POST /webhooks/x` takes DMs.

A POST is checked in this order: size (413), signature over the raw bytes (403, nothing stored),
content type (415), JSON and payload shape (400). Then the messages are handed to `accept` (the
inbox) and X gets its 200 once `accept` returns: never after the dialogue turn.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from connectors.x.crc import crc_response
from connectors.x.events import PayloadError, parse_activity
from connectors.x.signature import SIGNATURE_HEADER, is_valid_signature
from inbox.messages import InboundMessage
from settings import Settings

log = logging.getLogger(__name__)

PATH = "/webhooks/x"
MAX_BODY_BYTES = 1024 * 1024  # Account Activity POSTs are a few kilobytes


def routes(
    accept: Callable[[list[InboundMessage]], Awaitable[Any]],
    settings: Settings,
    *,
    max_body_bytes: int = MAX_BODY_BYTES,
) -> list[web.RouteDef]:
    """The two routes of X's webhook, handing each POST's customer messages to `accept`."""
    secret = settings.x_consumer_secret
    if not secret:
        raise ValueError("X_CONSUMER_SECRET is required to answer X's webhooks")

    async def answer_crc(request: web.Request) -> web.Response:
        token = request.query.get("crc_token")
        if not token:
            return _error(400, "crc_token is required")
        return web.json_response(crc_response(secret, token))

    async def receive(request: web.Request) -> web.Response:
        body = await _read_at_most(request, max_body_bytes)
        if body is None:
            return _error(413, f"the body is larger than {max_body_bytes} bytes")
        if not is_valid_signature(secret, body, request.headers.get(SIGNATURE_HEADER)):
            log.warning("X webhook: bad or missing signature from %s", request.remote)
            return _error(403, f"missing or invalid {SIGNATURE_HEADER}")
        if request.content_type != "application/json":
            return _error(415, f"expected application/json, got {request.content_type}")
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError) as error:
            return _error(400, f"malformed JSON: {error}")
        try:
            messages = parse_activity(payload)
        except PayloadError as error:
            log.error("X webhook: unexpected payload: %s", error)
            return _error(400, f"unexpected payload: {error}")
        if messages:
            await accept(messages)
        return web.json_response({"accepted": len(messages)})

    return [web.get(PATH, answer_crc), web.post(PATH, receive)]


async def _read_at_most(request: web.Request, limit: int) -> bytes | None:
    """The raw body, or None when it is over `limit` (told by Content-Length, or found reading)."""
    if request.content_length is not None and request.content_length > limit:
        return None
    body = bytearray()
    async for chunk in request.content.iter_chunked(64 * 1024):
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)
