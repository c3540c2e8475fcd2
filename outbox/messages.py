"""The neutral form of a reply, and the port through which a platform delivers it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol


@dataclass(frozen=True)
class Button:
    """An option the customer can pick: a quick reply on Messenger, a numbered line on X."""

    title: str
    payload: str  # what the engine receives when it is picked, e.g. "/track_parcel"


@dataclass(frozen=True)
class OutboundMessage:
    """One reply to one customer."""

    platform: str
    account_id: str
    user_id: str
    text: str
    buttons: tuple[Button, ...] = field(default_factory=tuple)
    custom: dict[str, Any] | None = None  # an engine custom payload, passed through as is
    # Sent by a person (the desk) rather than the bot: Messenger needs the HUMAN_AGENT tag
    # past 24 hours.
    from_person: bool = False
    # A later reply of the same turn (or batch of a person's replies): it goes out right after
    # the one before, so a connector need not announce it with a typing bubble. Set by the
    # outbox from the row's position when it sends; `enqueue` numbers replies by their order.
    follows_previous: bool = False

    @property
    def conversation_key(self) -> str:
        """The conversation it belongs to: the same key as `InboundMessage.conversation_key`."""
        return f"{self.platform}:{self.account_id}:{self.user_id}"


class SendOutcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"  # 5xx, 429, network: try again later
    PERMANENT = "permanent"  # user unreachable, outside the window, bad request: tell staff


@dataclass(frozen=True)
class SendResult:
    outcome: SendOutcome
    platform_message_ids: tuple[str, ...] = ()  # one per part when a long text was split
    retry_after: float | None = None  # seconds, from Retry-After / x-rate-limit-reset
    error: str | None = None  # for staff; never contains tokens


class PlatformSender(Protocol):
    """What a connector offers the outbox: deliver one reply, in as many requests as it needs."""

    platform: str

    async def send(self, message: OutboundMessage) -> SendResult: ...
