"""A neutral `OutboundMessage` → the Send API request bodies that deliver it. Pure, no I/O.

Messenger's limits (platform notes; the text limit is unconfirmed, hence a parameter): text up to
2,000 characters, at most 13 quick replies, titles up to 20 characters, payloads up to 1,000.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from typing import Any

from outbox.messages import Button, OutboundMessage

MAX_TEXT_LENGTH = 2000
MAX_QUICK_REPLIES = 13
MAX_TITLE_LENGTH = 20
MAX_PAYLOAD_LENGTH = 1000

# After the punctuation that ends a sentence, or at a line break: where a long reply may be cut.
_SENTENCE_BOUNDARY = re.compile(r"(?<=[.!?…])\s+|\s*\n\s*")
_WORD_BOUNDARY = re.compile(r"\s+")

logger = logging.getLogger(__name__)


def messaging_fields(message: OutboundMessage) -> dict[str, str]:
    """`messaging_type` (and `tag`) for this reply.

    The bot answers inside the 24-hour window (RESPONSE). A person's reply always carries the
    HUMAN_AGENT tag, which Meta accepts up to 7 days after the customer's last message: the sender
    cannot know how old the window is, and the tag is valid inside 24 hours too.
    """
    if message.from_person:
        return {"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"}
    return {"messaging_type": "RESPONSE"}


def message_objects(
    message: OutboundMessage, *, max_text_length: int = MAX_TEXT_LENGTH
) -> list[dict[str, Any]]:
    """The Send API `message` objects, in sending order.

    Long text becomes several messages; the quick replies ride on the last text part, where the
    customer's eyes are. An engine custom payload is taken as a ready Messenger `message` object
    (e.g. an attachment template) and sent after the text.
    """
    parts: list[dict[str, Any]] = [
        {"text": part} for part in split_text(message.text, max_text_length)
    ]
    replies = quick_replies(message.buttons)
    if replies:
        if parts:
            parts[-1]["quick_replies"] = replies
        else:
            logger.warning("Messenger quick replies need text; %d button(s) dropped", len(replies))
    if message.custom:
        parts.append(dict(message.custom))
    return parts


def quick_replies(buttons: Iterable[Button]) -> list[dict[str, str]]:
    """Buttons as Messenger quick replies: at most 13, titles and payloads cut to Meta's limits."""
    buttons = [b for b in buttons if b.title.strip()]
    if len(buttons) > MAX_QUICK_REPLIES:
        logger.warning("Messenger shows at most %d quick replies; %d dropped",
                       MAX_QUICK_REPLIES, len(buttons) - MAX_QUICK_REPLIES)  # fmt: skip
    replies = []
    for button in buttons[:MAX_QUICK_REPLIES]:
        if len(button.payload) > MAX_PAYLOAD_LENGTH:
            logger.warning("Quick-reply payload cut to %d characters", MAX_PAYLOAD_LENGTH)
        replies.append(
            {
                "content_type": "text",
                "title": _shorten(button.title.strip(), MAX_TITLE_LENGTH),
                "payload": button.payload[:MAX_PAYLOAD_LENGTH],
            }
        )
    return replies


def split_text(text: str, limit: int = MAX_TEXT_LENGTH) -> list[str]:
    """`text` in parts of at most `limit` characters, cut after sentences where possible.

    A sentence longer than `limit` is cut between words, a word longer than `limit` anywhere.
    Empty or blank text gives no parts.
    """
    if not text.strip():
        return []
    if len(text) <= limit:
        return [text]
    return _pack(text.strip(), limit, (_SENTENCE_BOUNDARY, _WORD_BOUNDARY))


def _pack(text: str, limit: int, boundaries: tuple[re.Pattern[str], ...]) -> list[str]:
    """Greedily fill parts with the pieces between `boundaries[0]`, finer boundaries as needed."""
    if len(text) <= limit:
        return [text]
    if not boundaries:
        return [text[i : i + limit] for i in range(0, len(text), limit)]
    parts: list[str] = []
    current = ""  # the part being filled, with the whitespace after its last piece
    for piece in _pieces(text, boundaries[0]):
        if len((current + piece).rstrip()) <= limit:
            current += piece
            continue
        if current.strip():
            parts.append(current.strip())
        trailing = piece[len(piece.rstrip()) :]
        if len(piece.rstrip()) <= limit:
            current = piece
        else:
            *full, last = _pack(piece.strip(), limit, boundaries[1:])
            parts.extend(full)
            current = last + trailing
    if current.strip():
        parts.append(current.strip())
    return parts


def _pieces(text: str, boundary: re.Pattern[str]) -> Iterator[str]:
    """`text` cut after each boundary; every piece keeps the whitespace that follows it."""
    start = 0
    for match in boundary.finditer(text):
        if match.end() > start:
            yield text[start : match.end()]
            start = match.end()
    if start < len(text):
        yield text[start:]


def _shorten(title: str, limit: int) -> str:
    return title if len(title) <= limit else title[: limit - 1].rstrip() + "…"
