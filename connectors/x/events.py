"""Account Activity payloads → neutral `InboundMessage`s.

All knowledge of the payload's shape sits behind `parse_activity`: X replaces the Account Activity
API with the "X Activity API" (different payload) from 2027, and only this module should change.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from connectors.x import media
from inbox.messages import Attachment, InboundMessage

PLATFORM = "x"


class PayloadError(ValueError):
    """The payload is not what X sends: the webhook answers 400 with this message."""


def parse_activity(payload: Any) -> list[InboundMessage]:
    """The customers' direct messages in one Account Activity POST, in the order X lists them.

    Our own sends (X echoes them, with `sender_id == for_user_id`) are dropped; every other kind
    of event (tweets, typing, read receipts, follows…) is ignored without error.
    """
    if not isinstance(payload, Mapping):
        raise PayloadError("the payload must be a JSON object")
    events = payload.get("direct_message_events")
    if events is None:
        return []
    if not isinstance(events, list):
        raise PayloadError("direct_message_events must be a list")
    account_id = payload.get("for_user_id")
    if not isinstance(account_id, str | int) or not str(account_id):
        raise PayloadError("for_user_id is missing")
    users = payload.get("users")
    users = users if isinstance(users, Mapping) else {}
    messages = []
    for position, event in enumerate(events):
        if not isinstance(event, Mapping):
            raise PayloadError(f"direct_message_events[{position}] must be an object")
        if event.get("type") != "message_create":
            continue
        message = _message(event, str(account_id), users, position)
        if message.user_id != message.account_id:
            messages.append(message)
    return messages


def _message(
    event: Mapping[str, Any], account_id: str, users: Mapping[str, Any], position: int
) -> InboundMessage:
    where = f"direct_message_events[{position}]"
    create = _object(event.get("message_create"), f"{where}.message_create")
    data = _object(create.get("message_data", {}), f"{where}.message_create.message_data")
    event_id = _required_id(event.get("id"), f"{where}.id")
    sender_id = _required_id(create.get("sender_id"), f"{where}.message_create.sender_id")
    text = data.get("text") or ""
    if not isinstance(text, str):
        raise PayloadError(f"{where}.message_create.message_data.text must be a string")
    attachment, attachment_link = _attachment(data.get("attachment"))
    if attachment_link:
        # X appends the media's t.co link to the text; the attachment already stands for it.
        text = text.replace(attachment_link, "").strip()
    quick_reply = data.get("quick_reply_response")
    payload = quick_reply.get("metadata") if isinstance(quick_reply, Mapping) else None
    user = users.get(sender_id)
    user = user if isinstance(user, Mapping) else {}
    screen_name = user.get("screen_name")
    return InboundMessage(
        platform=PLATFORM,
        account_id=account_id,
        user_id=sender_id,
        message_id=event_id,
        text=text,
        sent_at=_timestamp(event.get("created_timestamp"), f"{where}.created_timestamp"),
        payload=str(payload) if payload else None,
        attachments=(attachment,) if attachment else (),
        user_name=user.get("name") or None,
        user_handle=f"@{screen_name}" if screen_name else None,
    )


def _attachment(raw: Any) -> tuple[Attachment | None, str | None]:
    """The neutral attachment, and the t.co link X put in the text for it."""
    if not isinstance(raw, Mapping):
        return None, None
    item = raw.get("media")
    if raw.get("type") == "media" and isinstance(item, Mapping):
        url = item.get("media_url_https") or item.get("media_url")
        return media.attachment(item.get("type"), url), item.get("url")
    if raw.get("type") == "location":
        return Attachment(kind="location", url=None, description="[location]"), None
    return Attachment(kind="file", url=None, description="[attachment]"), None


def _object(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise PayloadError(f"{where} must be an object")
    return value


def _required_id(value: Any, where: str) -> str:
    if not isinstance(value, str | int) or not str(value):
        raise PayloadError(f"{where} is missing")
    return str(value)


def _timestamp(value: Any, where: str) -> datetime:
    """X's `created_timestamp`: milliseconds since the epoch, as a string."""
    try:
        return datetime.fromtimestamp(int(value) / 1000, tz=UTC)
    except (TypeError, ValueError, OverflowError):
        raise PayloadError(f"{where} must be milliseconds since the epoch") from None
