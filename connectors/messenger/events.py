"""Messenger webhook JSON → neutral `InboundMessage`s. Pure: no I/O, no clock except as a fallback.

What becomes a message and what does not:

- `messaging[]` items with a `message` (text, quick-reply payload, attachments) or a `postback`
  become `InboundMessage`s, in the order Meta sent them, across every `entry` of the batch.
- `is_echo` messages are our own sends coming back: dropped, never the customer.
- `read`, `delivery`, `reaction`, handover notices and any kind we do not know: ignored, no error.
- `standby[]` items are recognised and counted but not turned into messages. They arrive when
  another app (typically a person in Meta's Page Inbox) owns the thread: that person is answering,
  and anything we stored would be answered by the bot too. The neutral type has no "observe only"
  flag; if the desk ever wants these for context, that flag belongs in `InboundMessage` first.
- One malformed item (no sender, no mid) is skipped and logged; the rest of the batch still
  counts, because Meta redelivers the whole batch when we refuse it.

Deduplication is the inbox's job (unique on platform + message id), not this module's.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from inbox.messages import Attachment, InboundMessage

PLATFORM = "messenger"

logger = logging.getLogger(__name__)

# What the engine reads in place of an attachment it cannot see.
_DESCRIPTIONS = {
    "image": "[photo]",
    "video": "[video]",
    "audio": "[audio]",
    "file": "[file]",
    "sticker": "[sticker]",
    "location": "[location]",
    "link": "[link]",
    "template": "[shared content]",
    "reel": "[reel]",
    "ig_reel": "[reel]",
}
# The thumbs-up ("like") button sends one of these stickers: customers use it for "yes"/"thanks".
_LIKE_STICKER_IDS = {369239263222822, 369239343222814, 369239383222810}


class NotAPageWebhook(ValueError):
    """The body is JSON but not a Messenger page webhook (`{"object": "page", "entry": [...]}`)."""


@dataclass(frozen=True)
class ParsedWebhook:
    """What one webhook POST held."""

    messages: tuple[InboundMessage, ...]
    standby: int = 0  # items under standby[]: another app owns the thread, we stay silent
    ignored: int = 0  # echoes, reads, deliveries, reactions, unknown or malformed items


def parse_webhook(body: Any) -> ParsedWebhook:
    """Every customer message in a page webhook body (already JSON-decoded).

    Raises `NotAPageWebhook` when the envelope itself is wrong; bad items are only skipped.
    """
    if not isinstance(body, dict) or body.get("object") != "page":
        raise NotAPageWebhook('expected a page webhook: {"object": "page", "entry": [...]}')
    entries = body.get("entry")
    if not isinstance(entries, list):
        raise NotAPageWebhook('a page webhook needs an "entry" list')

    messages: list[InboundMessage] = []
    standby = ignored = 0
    for entry in entries:
        if not isinstance(entry, dict):
            ignored += 1
            continue
        standby += len(_list(entry.get("standby")))
        for item in _list(entry.get("messaging")):
            message = parse_messaging_item(item, entry)
            if message is None:
                ignored += 1
            else:
                messages.append(message)
    return ParsedWebhook(messages=tuple(messages), standby=standby, ignored=ignored)


def parse_messaging_item(item: Any, entry: dict[str, Any] | None = None) -> InboundMessage | None:
    """One `messaging[]` item as a customer message, or None when it is not one."""
    if not isinstance(item, dict):
        return None
    user_id = _id(item.get("sender"))
    account_id = _id(item.get("recipient")) or _str(entry.get("id") if entry else None)
    message, postback = item.get("message"), item.get("postback")
    if not isinstance(message, dict) and not isinstance(postback, dict):
        return None  # read, delivery, reaction, optin, handover notices…
    if isinstance(message, dict) and message.get("is_echo"):
        return None
    if not user_id or not account_id:
        logger.warning("Messenger event without sender or recipient id skipped")
        return None
    sent_at = _timestamp(item.get("timestamp"), entry)
    if isinstance(message, dict):
        return _from_message(message, account_id, user_id, sent_at)
    assert isinstance(postback, dict)
    return _from_postback(postback, account_id, user_id, sent_at, item.get("timestamp"))


def _from_message(
    message: dict[str, Any], account_id: str, user_id: str, sent_at: datetime
) -> InboundMessage | None:
    mid = _str(message.get("mid"))
    if not mid:
        logger.warning("Messenger message without mid skipped (it could not be deduplicated)")
        return None
    quick_reply = message.get("quick_reply")
    payload = _str(quick_reply.get("payload")) if isinstance(quick_reply, dict) else None
    return InboundMessage(
        platform=PLATFORM,
        account_id=account_id,
        user_id=user_id,
        message_id=mid,
        text=_str(message.get("text")) or "",
        sent_at=sent_at,
        payload=payload,
        attachments=tuple(
            _attachment(a) for a in _list(message.get("attachments")) if isinstance(a, dict)
        ),
    )


def _from_postback(
    postback: dict[str, Any], account_id: str, user_id: str, sent_at: datetime, timestamp: Any
) -> InboundMessage:
    payload = _str(postback.get("payload"))
    # Older postbacks carry no mid; a redelivery of the same tap must still get the same id.
    mid = _str(postback.get("mid")) or _postback_id(user_id, timestamp, payload)
    return InboundMessage(
        platform=PLATFORM,
        account_id=account_id,
        user_id=user_id,
        message_id=mid,
        text=_str(postback.get("title")) or "",
        sent_at=sent_at,
        payload=payload,
    )


def _postback_id(user_id: str, timestamp: Any, payload: str | None) -> str:
    digest = hashlib.sha256(f"{user_id}|{timestamp}|{payload or ''}".encode()).hexdigest()
    return f"postback-{digest[:32]}"


def _attachment(raw: dict[str, Any]) -> Attachment:
    kind = _str(raw.get("type")) or "unknown"
    payload = raw.get("payload") if isinstance(raw.get("payload"), dict) else {}
    assert isinstance(payload, dict)
    url = _str(payload.get("url")) or _str(raw.get("url"))
    if kind == "fallback":  # a shared link Meta could not render as anything richer
        title = _str(raw.get("title")) or _str(payload.get("title"))
        return Attachment("link", url, f"[link: {title}]" if title else "[link]")
    if kind == "location":
        coordinates = payload.get("coordinates")
        if isinstance(coordinates, dict) and "lat" in coordinates and "long" in coordinates:
            where = f"{coordinates['lat']},{coordinates['long']}"
            return Attachment("location", url, f"[location {where}]")
    if kind == "image" and payload.get("sticker_id") is not None:
        is_like = payload.get("sticker_id") in _LIKE_STICKER_IDS
        return Attachment("sticker", url, "[thumbs up]" if is_like else "[sticker]")
    return Attachment(kind, url, _DESCRIPTIONS.get(kind, f"[{kind}]"))


def _timestamp(milliseconds: Any, entry: dict[str, Any] | None) -> datetime:
    """Meta's millisecond timestamps as aware UTC datetimes (entry time, then now, as fallbacks)."""
    for value in (milliseconds, entry.get("time") if entry else None):
        if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
            return datetime.fromtimestamp(value / 1000, tz=UTC)
    return datetime.now(tz=UTC)


def _id(party: Any) -> str | None:
    return _str(party.get("id")) if isinstance(party, dict) else None


def _str(value: Any) -> str | None:
    """Strings as they are; ids Meta sometimes sends as numbers, as strings."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
