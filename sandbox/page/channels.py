"""The customer's side of each platform: write to the gateway through a simulator, and read back
what the bot sent to customers from that simulator's records.

Everything that differs between Messenger and X for the page sits here; the rest of the page
speaks only of `Received` items and `GatewayAnswer`s.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp

from sandbox.simulator.messenger import GraphCall, MessengerSimulator
from sandbox.simulator.x import CrcFailed, XSimulator

log = logging.getLogger(__name__)

GATEWAY_TIMEOUT = 10.0  # seconds; the gateway answers webhooks before any dialogue turn


@dataclass(frozen=True)
class QuickReply:
    title: str
    payload: str


@dataclass(frozen=True)
class Received:
    """Something the customer's app shows: a message, or the typing bubble going on or off."""

    user_id: str
    text: str | None = None  # None: a change of the typing bubble
    quick_replies: tuple[QuickReply, ...] = ()
    typing: bool = False


@dataclass(frozen=True)
class GatewayAnswer:
    """How the gateway took a webhook: its HTTP status (None: it did not answer) and body."""

    status: int | None
    body: str

    @property
    def accepted(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class Channel(Protocol):
    async def post(
        self, user_id: str, name: str, text: str, payload: str | None
    ) -> GatewayAnswer: ...

    def received(self) -> Iterator[Received]: ...


class MessengerChannel:
    """Meta's side: signed page webhooks in, the Send API calls the simulator recorded out."""

    def __init__(self, simulator: MessengerSimulator, webhook_url: str) -> None:
        self.simulator = simulator
        self.webhook_url = webhook_url
        self._seen = 0  # simulator calls already read

    async def post(self, user_id: str, name: str, text: str, payload: str | None) -> GatewayAnswer:
        """A message, or a tapped quick reply (Meta sends its title as the text)."""
        # Messenger webhooks carry no name: the simulator keeps it as the customer's profile,
        # where the desk asks the Graph API for it.
        event = self.simulator.message_event(user_id, text, quick_reply_payload=payload, name=name)
        body = self.simulator.webhook_body(self.simulator.entry(event))
        try:
            async with asyncio.timeout(GATEWAY_TIMEOUT):
                response = await self.simulator.post_webhook(self.webhook_url, body)
        except (aiohttp.ClientError, TimeoutError) as error:
            return _unreachable(self.webhook_url, error)
        return GatewayAnswer(response.status, response.text)

    def received(self) -> Iterator[Received]:
        """Send API calls the simulator took since the last call, as the customer sees them."""
        calls = self.simulator.calls
        if len(calls) < self._seen:  # the simulator was reset
            self._seen = 0
        new, self._seen = calls[self._seen :], len(calls)
        for call in new:
            if not call.delivered or call.recipient_id is None:
                continue
            if call.sender_action in ("typing_on", "typing_off"):
                yield Received(call.recipient_id, typing=call.sender_action == "typing_on")
            elif call.is_message:
                replies = tuple(
                    QuickReply(str(reply.get("title", "")), str(reply.get("payload", "")))
                    for reply in call.quick_replies
                    if reply.get("content_type", "text") == "text"
                )
                yield Received(call.recipient_id, _shown_text(call), replies)


class XChannel:
    """X's side: signed Account Activity webhooks in, the DMs the simulator recorded out."""

    def __init__(self, simulator: XSimulator, webhook_url: str) -> None:
        self.simulator = simulator
        self.webhook_url = webhook_url
        self._seen = 0  # DMs already read
        self._crc_warned = False

    async def post(self, user_id: str, name: str, text: str, payload: str | None) -> GatewayAnswer:
        """A DM; `payload` becomes quick_reply_response metadata. The users map carries the name
        and a handle made from it."""
        try:
            async with asyncio.timeout(GATEWAY_TIMEOUT):
                await self._register()
                delivery = await self.simulator.post_dm(
                    self.webhook_url,
                    user_id,
                    text,
                    name=name,
                    screen_name=handle(name),
                    quick_reply_metadata=payload,
                )
        except (aiohttp.ClientError, TimeoutError) as error:
            return _unreachable(self.webhook_url, error)
        return GatewayAnswer(delivery.status, delivery.body)

    def received(self) -> Iterator[Received]:
        """DMs the bot sent since the last call."""
        sent = self.simulator.sent
        new, self._seen = sent[self._seen :], len(sent)
        for dm in new:
            yield Received(dm.participant_id, dm.text)

    async def _register(self) -> None:
        """Pass X's CRC once, as registering the webhook does: from then on the simulator echoes
        the bot's own DMs to the gateway, as X does. The gateway may start after the sandbox,
        hence here rather than at start."""
        if self.simulator.webhook_url is not None:
            return
        try:
            await self.simulator.register_webhook(self.webhook_url)
        except CrcFailed as error:
            if not self._crc_warned:
                log.warning("X webhook not registered (no echoes of the bot's DMs): %s", error)
                self._crc_warned = True


def handle(name: str) -> str:
    """An X handle from a display name: "Giulia Rossi" → "giuliarossi" (X allows 15 characters)."""
    return re.sub(r"[^a-z0-9_]", "", name.casefold())[:15] or "customer"


def _shown_text(call: GraphCall) -> str:
    """The text, or what an attachment looks like in a text-only page."""
    if call.text:
        return call.text
    message: dict[str, Any] = call.body.get("message") or {}
    attachment = message.get("attachment") or {}
    payload = attachment.get("payload") or {}
    kind = payload.get("template_type") or attachment.get("type") or "attachment"
    return f"[{kind}]"


def _unreachable(url: str, error: BaseException) -> GatewayAnswer:
    reason = str(error) or type(error).__name__
    return GatewayAnswer(None, f"the gateway at {url} did not answer (is it running?): {reason}")
