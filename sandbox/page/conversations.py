"""Each sandbox customer's conversation, both sides in the order they happened.

What the customer wrote is recorded here as the page sends it; what the bot sent comes from the
simulators' records, read (`catch_up`) before each customer message is recorded so that replies
already received come first.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from sandbox.page.channels import Channel, QuickReply

# Messenger drops the typing bubble after 20 seconds without a message.
TYPING_SECONDS = 20.0


@dataclass
class Message:
    sender: Literal["customer", "bot"]
    text: str
    quick_replies: tuple[QuickReply, ...] = ()
    delivered: bool = True  # for the customer's messages: the gateway took the webhook

    def as_json(self) -> dict[str, Any]:
        return {
            "from": self.sender,
            "text": self.text,
            "quick_replies": [{"title": r.title, "payload": r.payload} for r in self.quick_replies],
            "delivered": self.delivered,
        }


@dataclass
class Conversation:
    messages: list[Message] = field(default_factory=list)
    typing_since: float | None = None  # when the bot's typing bubble came on


class Conversations:
    """Every customer's conversation, by platform and user id."""

    def __init__(
        self, channels: Mapping[str, Channel], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.channels = channels
        self._clock = clock
        self._conversations: dict[tuple[str, str], Conversation] = {}

    def catch_up(self) -> None:
        """Read what the simulators delivered since last time into the conversations."""
        now = self._clock()
        for platform, channel in self.channels.items():
            for item in channel.received():
                conversation = self._conversation(platform, item.user_id)
                if item.text is None:
                    conversation.typing_since = now if item.typing else None
                else:
                    conversation.messages.append(Message("bot", item.text, item.quick_replies))
                    conversation.typing_since = None

    def customer_wrote(self, platform: str, user_id: str, text: str) -> Message:
        """Record the customer's message after everything they have received so far."""
        self.catch_up()
        message = Message("customer", text)
        self._conversation(platform, user_id).messages.append(message)
        return message

    def as_json(self, platform: str, user_id: str) -> dict[str, Any]:
        """The conversation as the page shows it, up to date."""
        self.catch_up()
        conversation = self._conversations.get((platform, user_id)) or Conversation()
        since = conversation.typing_since
        return {
            "platform": platform,
            "user_id": user_id,
            "messages": [message.as_json() for message in conversation.messages],
            "typing": since is not None and self._clock() - since < TYPING_SECONDS,
        }

    def _conversation(self, platform: str, user_id: str) -> Conversation:
        return self._conversations.setdefault((platform, user_id), Conversation())
