"""The neutral form of a customer message: what every connector turns its platform's JSON into."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Attachment:
    """Something the customer sent besides text (image, file, location…)."""

    kind: str  # "image", "video", "audio", "file", "location", "sticker", …
    url: str | None
    description: str  # a short text the engine can read, e.g. "[photo]"


@dataclass(frozen=True)
class InboundMessage:
    """One customer message, as the core sees it, whatever platform it came from."""

    platform: str  # "messenger" or "x"
    account_id: str  # our side: the Facebook page id, or our X account id
    user_id: str  # the customer: page-scoped id, or X user id
    message_id: str  # the platform's id for this message: the deduplication key
    text: str
    sent_at: datetime  # timezone-aware, from the platform's timestamp
    # The customer's choice when they pressed a button (quick reply / postback): passed to the
    # engine instead of the text.
    payload: str | None = None
    attachments: tuple[Attachment, ...] = field(default_factory=tuple)
    user_name: str | None = None
    user_handle: str | None = None  # "@name" on X

    @property
    def conversation_key(self) -> str:
        """One conversation per customer and account; also the engine's sender id."""
        return f"{self.platform}:{self.account_id}:{self.user_id}"
