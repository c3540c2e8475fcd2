"""Delivers replies as X direct messages (API v2): the outbox's `PlatformSender` for X."""

from __future__ import annotations

import time
from collections.abc import Callable

import aiohttp
from tweepy.errors import (
    Forbidden,
    HTTPException,
    TooManyRequests,
    TwitterServerError,
    Unauthorized,
)

from connectors.x import options
from connectors.x.api import XApiClient
from outbox.messages import OutboundMessage, SendOutcome, SendResult

MAX_DM_CHARS = 10_000  # X's limit for one DM's text
_MIN_SECRET_CHARS = 8

# Where a long text is best cut, best first: between paragraphs, lines, sentences, words.
_BREAKS = ("\n\n", "\n", ". ", "! ", "? ", " ")


class XSender:
    """Sends one `OutboundMessage` as one or more DMs; classifies failures for the outbox."""

    platform = "x"

    def __init__(
        self,
        client: XApiClient,
        *,
        max_chars: int = MAX_DM_CHARS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.max_chars = max_chars
        self.clock = clock

    async def send(self, message: OutboundMessage) -> SendResult:
        """Deliver the text (buttons as a numbered list), split in parts X accepts.

        When a later part fails, the result carries the ids of the parts already delivered.
        """
        text = options.render(message.text, message.buttons)
        if not text.strip():
            return SendResult(SendOutcome.PERMANENT, error="nothing to send: X DMs carry text only")
        parts = split_text(text, self.max_chars)
        sent: list[str] = []
        for number, part in enumerate(parts, 1):
            try:
                response = await self.client.create_direct_message(
                    participant_id=message.user_id, text=part
                )
            except (HTTPException, aiohttp.ClientError, TimeoutError, OSError) as error:
                result = self._failure(error)
                where = f"part {number} of {len(parts)}: " if len(parts) > 1 else ""
                return SendResult(
                    result.outcome,
                    platform_message_ids=tuple(sent),
                    retry_after=result.retry_after,
                    error=self._scrub(where + (result.error or "")),
                )
            sent.append(str(response.data["dm_event_id"]))
        return SendResult(SendOutcome.SENT, platform_message_ids=tuple(sent))

    def _failure(self, error: Exception) -> SendResult:
        if isinstance(error, TooManyRequests):
            return SendResult(
                SendOutcome.RETRY,
                retry_after=self._seconds_until_reset(error),
                error="X rate limit reached (429)",
            )
        if isinstance(error, TwitterServerError):
            return SendResult(SendOutcome.RETRY, error=f"X server error: {_explain(error)}")
        if isinstance(error, Forbidden):
            return SendResult(
                SendOutcome.PERMANENT,
                error="X refused the DM (403): the customer does not accept DMs from us or has"
                f" blocked us. {_explain(error)}",
            )
        if isinstance(error, Unauthorized):
            return SendResult(
                SendOutcome.PERMANENT,
                error="X rejected our credentials (401): check X_CONSUMER_KEY, X_CONSUMER_SECRET,"
                f" X_ACCESS_TOKEN and X_ACCESS_TOKEN_SECRET. {_explain(error)}",
            )
        if isinstance(error, HTTPException):
            return SendResult(SendOutcome.PERMANENT, error=f"X rejected the DM: {_explain(error)}")
        return SendResult(SendOutcome.RETRY, error=f"network error: {type(error).__name__} {error}")

    def _seconds_until_reset(self, error: TooManyRequests) -> float | None:
        """`x-rate-limit-reset` is an epoch time in seconds; the outbox wants a delay."""
        reset = error.response.headers.get("x-rate-limit-reset", "")
        if not reset.strip().isdigit():
            return None
        return max(0.0, int(reset) - self.clock())

    def _scrub(self, text: str) -> str:
        """Staff read errors: make sure no credential ever reaches them."""
        # Real credentials are long; replacing a 1-letter test value would garble the text.
        for secret in sorted(self.client.secrets, key=len, reverse=True):
            if len(secret) >= _MIN_SECRET_CHARS:
                text = text.replace(secret, "[redacted]")
        return text.strip()


def _explain(error: HTTPException) -> str:
    """Status and X's own words, e.g. "403 Forbidden: You cannot send messages to this user"."""
    status = getattr(error.response, "status", None)
    reason = getattr(error.response, "reason", None) or ""
    detail = "; ".join(str(message) for message in error.api_messages)
    return f"{status} {reason}".strip() + (f": {detail}" if detail else "")


def split_text(text: str, limit: int) -> list[str]:
    """Parts of at most `limit` characters, cut at the most natural break near the end."""
    parts = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[: limit + 1]  # a break right after the limit still fits once stripped
        cut = limit
        for separator in _BREAKS:
            index = window.rfind(separator)
            if index > limit // 2:
                cut = index + len(separator.rstrip())
                break
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts
