"""The engine's replies in the core's terms, read from the REST channel or from a tracker."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from outbox.messages import Button


@dataclass(frozen=True)
class EngineReply:
    """One message of the bot's answer: text, options to pick from, or a custom payload."""

    text: str
    buttons: tuple[Button, ...] = field(default_factory=tuple)
    custom: dict[str, Any] | None = None


def from_rest_messages(messages: Iterable[Any]) -> list[EngineReply]:
    """Replies from the REST channel's answer (a JSON list of message objects).

    Images and attachments (the domain has none yet) travel as `custom` ({"image": url}) so that
    nothing the engine says is silently dropped.
    """
    replies = []
    for message in messages:
        if not isinstance(message, Mapping):
            raise ValueError(f"not a message object: {message!r}")
        custom = message.get("custom")
        for kind in ("image", "attachment"):
            if message.get(kind) and not custom:
                custom = {kind: message[kind]}
        replies.append(
            EngineReply(
                text=str(message.get("text") or ""),
                buttons=_buttons(message.get("buttons")),
                custom=dict(custom) if isinstance(custom, Mapping) else None,
            )
        )
    return replies


def rest_messages_of_bot_event(event: Mapping[str, Any]) -> list[dict[str, Any]]:
    """What the REST channel answers for one `bot` tracker event.

    Mirrors Rasa 3.6 (`OutputChannel.send_response` with `CollectingOutputChannel`): text with
    buttons or quick replies is one message; plain text is split at blank lines; custom, image
    and attachment each come as a message of their own. Replies read back from a tracker are
    then exactly what the turn answered.
    """
    data = event.get("data") or {}
    text = event.get("text")
    buttons = data.get("quick_replies") or data.get("buttons")
    messages: list[dict[str, Any]] = []
    if buttons:
        messages.append({"text": text, "buttons": buttons})
    elif text:
        messages.extend({"text": part} for part in str(text).strip().split("\n\n"))
    if data.get("custom"):
        messages.append({"custom": data["custom"]})
    if data.get("image"):
        messages.append({"image": data["image"]})
    # The tracker copies the image into `attachment` when there is no attachment of its own.
    if data.get("attachment") and data.get("attachment") != data.get("image"):
        messages.append({"attachment": data["attachment"]})
    return messages


def _buttons(raw: Any) -> tuple[Button, ...]:
    if not isinstance(raw, list):
        return ()
    return tuple(
        Button(title=str(b.get("title", "")), payload=str(b.get("payload") or b.get("title", "")))
        for b in raw
        if isinstance(b, Mapping)
    )
