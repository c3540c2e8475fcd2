"""The Messenger webhook endpoints: verification (GET) and events (POST), as aiohttp routes.

The POST handler only verifies, parses and hands the messages to `accept` (which commits them to the
inbox); it answers 200 once that is done and never waits for the dialogue. Meta redelivers anything
not answered 200 within 20 s, so a failure to store is answered 500 on purpose.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from connectors.messenger.events import NotAPageWebhook, parse_webhook
from connectors.messenger.signature import SIGNATURE_HEADER, is_valid_signature
from inbox.messages import InboundMessage
from settings import Settings

WEBHOOK_PATH = "/webhooks/messenger"
# Meta's batches are a few kB; anything near this is not from Meta.
MAX_BODY_BYTES = 1024 * 1024

Accept = Callable[[list[InboundMessage]], Awaitable[Any]]

logger = logging.getLogger(__name__)


def routes(
    accept: Accept, settings: Settings, *, max_body_bytes: int = MAX_BODY_BYTES
) -> list[web.RouteDef]:
    """GET and POST `/webhooks/messenger`; `accept` stores a batch durably before we answer 200.

    `accept` is called once per POST that holds at least one customer message, with all of them.
    Raises ValueError when MESSENGER_APP_SECRET is not set: an endpoint that cannot check
    signatures must not exist.
    """
    if not settings.messenger_app_secret:
        raise ValueError("MESSENGER_APP_SECRET is not set: Messenger webhooks cannot be verified")
    app_secret = settings.messenger_app_secret.encode()
    verify_token = settings.messenger_verify_token

    async def verify_subscription(request: web.Request) -> web.StreamResponse:
        query = request.query
        token = query.get("hub.verify_token", "")
        challenge = query.get("hub.challenge")
        if (
            verify_token
            and query.get("hub.mode") == "subscribe"
            and challenge is not None
            and hmac.compare_digest(token.encode(), verify_token.encode())
        ):
            logger.info("Messenger webhook subscription verified")
            return web.Response(text=challenge, content_type="text/plain")
        logger.warning("Messenger webhook verification refused (mode or verify token wrong)")
        return web.Response(status=403, text="verification failed", content_type="text/plain")

    async def receive_events(request: web.Request) -> web.StreamResponse:
        body = await _read_limited(request, max_body_bytes)
        if body is None:
            return _error(413, f"body larger than {max_body_bytes} bytes")
        if not is_valid_signature(app_secret, body, request.headers.get(SIGNATURE_HEADER)):
            logger.warning(
                "Messenger webhook with a missing or wrong signature from %s", request.remote
            )
            return _error(403, f"missing or invalid {SIGNATURE_HEADER}")
        if request.content_type != "application/json":
            return _error(415, "expected Content-Type: application/json")
        try:
            decoded = json.loads(body)
        except (ValueError, RecursionError):  # bad UTF-8 or JSON, or absurdly deep nesting
            return _error(400, "body is not valid JSON")
        try:
            parsed = parse_webhook(decoded)
        except NotAPageWebhook as error:
            return _error(400, str(error))

        messages = list(parsed.messages)
        if messages:
            try:
                await accept(messages)
            except Exception:
                logger.exception("Could not store %d Messenger message(s)", len(messages))
                return _error(500, "could not store the messages; Meta will redeliver")
        logger.log(
            logging.INFO if messages else logging.DEBUG,
            "Messenger webhook: %d message(s) stored, %d standby, %d ignored",
            len(messages),
            parsed.standby,
            parsed.ignored,
        )
        return web.json_response({"received": len(messages)})

    return [web.get(WEBHOOK_PATH, verify_subscription), web.post(WEBHOOK_PATH, receive_events)]


async def _read_limited(request: web.Request, limit: int) -> bytes | None:
    """The raw body, or None as soon as it is known to exceed `limit` bytes."""
    if request.content_length is not None and request.content_length > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)
