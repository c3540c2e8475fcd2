"""Putting replies in the outbox: the only way a reply (bot or person) reaches a customer."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import desc, select
from sqlalchemy.orm import Session

from outbox.messages import Button, OutboundMessage
from store.db import insert_ignoring_duplicates
from store.models import OutboxMessage, OutboxStatus


def enqueue(
    session: Session,
    messages: Sequence[OutboundMessage],
    *,
    inbox_message_id: int | None = None,
    agent_id: int | None = None,
    handoff_request_id: int | None = None,
) -> int:
    """Add `messages` to the outbox, in this order, in the caller's transaction.

    `inbox_message_id` is the customer message they answer (None for a person's reply). For a
    given inbox message, enqueueing the same turn again adds nothing: returns how many rows were
    new. A person's reply names its author (`agent_id`) and ticket (`handoff_request_id`).
    """
    if not messages:
        return 0
    now = datetime.now(UTC)
    rows = [
        _row(m, position, inbox_message_id, now)
        | {
            "agent_id": agent_id,
            "handoff_request_id": handoff_request_id,
        }
        for position, m in enumerate(messages)
    ]
    statement = _insert_ignoring_duplicates(session).returning(OutboxMessage.id)
    return len(session.execute(statement, rows).all())


def latest_buttons(session: Session, conversation_key: str) -> tuple[Button, ...]:
    """The options offered by the conversation's latest reply (none if it offered none).

    Replies the platform refused are skipped: the customer never saw them.
    """
    buttons = session.scalar(
        select(OutboxMessage.buttons)
        .where(
            OutboxMessage.conversation_key == conversation_key,
            OutboxMessage.status != OutboxStatus.FAILED,
        )
        .order_by(desc(OutboxMessage.id))
        .limit(1)
    )
    return tuple(Button(b["title"], b["payload"]) for b in buttons or ())


def _insert_ignoring_duplicates(session: Session) -> Any:
    return insert_ignoring_duplicates(session, OutboxMessage, ["inbox_message_id", "position"])


def _row(
    message: OutboundMessage, position: int, inbox_message_id: int | None, now: datetime
) -> dict[str, Any]:
    return {
        "inbox_message_id": inbox_message_id,
        "platform": message.platform,
        "account_id": message.account_id,
        "user_id": message.user_id,
        "conversation_key": message.conversation_key,
        "position": position,
        "text": message.text,
        "buttons": [{"title": b.title, "payload": b.payload} for b in message.buttons],
        "custom": message.custom,
        "from_person": message.from_person,
        "status": OutboxStatus.PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "platform_message_ids": [],
        "created_at": now,
    }
