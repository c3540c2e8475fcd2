"""Polling mode, for accounts without Account Activity webhooks: `GET /2/dm_events` on a timer.

X lists DM events newest first, both directions, for the last 30 days, and has no `since_id` here.
So each poll reads pages (following `pagination_token`) until it reaches the newest event id seen
last time (the cursor), which makes a poller that was down for hours catch up on all it missed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import aiohttp
from tweepy.errors import HTTPException, TooManyRequests

from connectors.x import media
from connectors.x.api import XApiClient
from inbox.messages import InboundMessage

log = logging.getLogger(__name__)

PLATFORM = "x"
PAGE_SIZE = 100  # X's maximum for /2/dm_events
MAX_RATE_LIMIT_WAIT = 15 * 60.0  # X's rate-limit windows are 15 minutes


class CursorStore(Protocol):
    """Where the newest DM event id seen is kept per account, durably (the `poll_cursors` table)."""

    async def get(self, account_id: str) -> str | None: ...

    async def set(self, account_id: str, event_id: str) -> None: ...


class InMemoryCursorStore:
    """A `CursorStore` for tests and the sandbox: forgets everything on restart."""

    def __init__(self) -> None:
        self.cursors: dict[str, str] = {}

    async def get(self, account_id: str) -> str | None:
        return self.cursors.get(account_id)

    async def set(self, account_id: str, event_id: str) -> None:
        self.cursors[account_id] = event_id


@dataclass(frozen=True)
class PollResult:
    """The customers' new messages, oldest first, and the cursor to store once they are accepted."""

    messages: list[InboundMessage]
    cursor: str | None  # the newest event id seen, of any kind; unchanged when nothing is new


async def poll_once(
    client: XApiClient, account_id: str, cursor: str | None, *, page_size: int = PAGE_SIZE
) -> PollResult:
    """Every DM event newer than `cursor` (all of the last 30 days when None), as messages.

    Skips our own messages (`sender_id` is our account) and events that are not messages.
    """
    events: list[Mapping[str, Any]] = []
    users: dict[str, Mapping[str, Any]] = {}
    media_items: dict[str, Mapping[str, Any]] = {}
    newest: str | None = None
    token: str | None = None
    while True:
        page = await client.get_direct_message_events(
            dm_event_fields=["id", "text", "event_type", "created_at", "sender_id", "attachments"],
            expansions=["sender_id", "attachments.media_keys"],
            user_fields=["name", "username"],
            media_fields=["type", "url", "preview_image_url"],
            max_results=page_size,
            pagination_token=token,
        )
        reached_cursor = False
        for event in _raw(page.data or []):
            if cursor is not None and _is_not_newer(str(event["id"]), cursor):
                reached_cursor = True
                break
            newest = newest or str(event["id"])
            events.append(event)
        users.update({str(user["id"]): user for user in _raw(page.includes.get("users", []))})
        media_items.update(
            {str(item["media_key"]): item for item in _raw(page.includes.get("media", []))}
        )
        token = page.meta.get("next_token")
        if reached_cursor or not token:
            break

    messages: dict[str, InboundMessage] = {}  # by id: an event moving across pages comes once
    for event in reversed(events):
        if event.get("event_type") != "MessageCreate" or str(event.get("sender_id")) == account_id:
            continue
        message = _message(event, account_id, users, media_items)
        messages.setdefault(message.message_id, message)
    return PollResult(list(messages.values()), newest or cursor)


async def run_polling(
    client: XApiClient,
    accept: Callable[[list[InboundMessage]], Awaitable[Any]],
    cursor_store: CursorStore,
    interval: float,
    *,
    account_id: str,
) -> None:
    """Poll every `interval` s until cancelled: `accept` the new messages, THEN move the cursor.

    A crash between the two only re-delivers (the inbox deduplicates on the message id); the
    other order could lose messages. Errors are logged and the loop goes on; on 429 it waits for
    X's `x-rate-limit-reset`.
    """
    while True:
        delay = interval
        try:
            cursor = await cursor_store.get(account_id)
            result = await poll_once(client, account_id, cursor)
            if result.messages:
                await accept(result.messages)
            if result.cursor is not None and result.cursor != cursor:
                await cursor_store.set(account_id, result.cursor)
        except TooManyRequests as error:
            delay = max(interval, _seconds_until_reset(error))
            log.warning("X rate limit on GET /2/dm_events: next poll in %.0f s", delay)
        except (HTTPException, aiohttp.ClientError, TimeoutError, OSError) as error:
            log.warning(
                "X poll failed (%s: %s); next poll in %.0f s", type(error).__name__, error, delay
            )
        except Exception:
            # The gateway keeps polling whatever happens; the traceback tells us what to fix.
            log.exception("X poll failed; next poll in %.0f s", delay)
        await asyncio.sleep(delay)


def _is_not_newer(event_id: str, cursor: str) -> bool:
    """X ids are snowflakes: a larger number is a later event."""
    if event_id.isdigit() and cursor.isdigit():
        return int(event_id) <= int(cursor)
    return event_id == cursor


def _seconds_until_reset(error: TooManyRequests) -> float:
    reset = error.response.headers.get("x-rate-limit-reset", "")
    if not reset.strip().isdigit():
        return 0.0
    return min(MAX_RATE_LIMIT_WAIT, max(0.0, int(reset) - time.time()))


def _raw(items: list[Any]) -> list[Mapping[str, Any]]:
    """The JSON objects behind tweepy's models (whose attributes convert ids to int)."""
    return [getattr(item, "data", item) for item in items]


def _message(
    event: Mapping[str, Any],
    account_id: str,
    users: Mapping[str, Mapping[str, Any]],
    media_items: Mapping[str, Mapping[str, Any]],
) -> InboundMessage:
    sender_id = str(event["sender_id"])
    user = users.get(sender_id, {})
    username = user.get("username")
    keys = (event.get("attachments") or {}).get("media_keys", [])
    items = [media_items.get(str(key), {}) for key in keys]
    return InboundMessage(
        platform=PLATFORM,
        account_id=account_id,
        user_id=sender_id,
        message_id=str(event["id"]),
        text=event.get("text") or "",
        sent_at=_created_at(event.get("created_at")),
        attachments=tuple(
            media.attachment(item.get("type"), item.get("url") or item.get("preview_image_url"))
            for item in items
        ),
        user_name=user.get("name") or None,
        user_handle=f"@{username}" if username else None,
    )


def _created_at(value: Any) -> datetime:
    """`created_at` is ISO 8601 ("2026-01-05T10:00:00.000Z"); absent, the time we saw it."""
    if isinstance(value, str) and value:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    return datetime.now(UTC)
