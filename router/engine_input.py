"""What the engine receives for a customer message: the text of the turn and its metadata."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from outbox.messages import Button
from router.choices import chosen_payload
from router.inbox_queue import Turn


def engine_text(turn: Turn, offered: Sequence[Button] = ()) -> str:
    """The button's payload when one was pressed or picked, else the text with attachments.

    `offered`: the options of the conversation's latest reply, on platforms that show them as a
    numbered list (empty elsewhere); "2" or an option's title then means that option.
    """
    if turn.payload:
        return turn.payload
    picked = chosen_payload(turn.text, offered)
    if picked is not None:
        return picked
    # The engine cannot see a photo; "[photo]" at least tells it (and the desk) one was sent.
    descriptions = [str(a["description"]) for a in turn.attachments if a.get("description")]
    return " ".join(part for part in [turn.text.strip(), *descriptions] if part)


def engine_metadata(turn: Turn) -> dict[str, Any]:
    """Who wrote, where, and which inbox row: reaches the tracker and the actions."""
    return {
        "platform": turn.platform,
        "account_id": turn.account_id,
        "user_id": turn.user_id,
        "user_name": turn.user_name,
        "user_handle": turn.user_handle,
        "inbox_message_id": turn.inbox_id,
        "attachments": [{"kind": a.get("kind"), "url": a.get("url")} for a in turn.attachments],
    }
