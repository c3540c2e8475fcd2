"""Storing customer messages as they arrive: the webhook's 200 waits for this, nothing more."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from inbox.messages import InboundMessage
from store.db import insert_ignoring_duplicates
from store.models import InboxMessage, InboxStatus


@dataclass(frozen=True)
class AcceptResult:
    """How many of the messages handed in were new, and how many were already stored."""

    new: int
    duplicates: int


def accept(
    session_factory: sessionmaker[Session], messages: Sequence[InboundMessage]
) -> AcceptResult:
    """Store `messages` in one transaction, ignoring any already stored (same platform + id).

    Within the batch, messages are stored in the platform's timestamp order (their ids are the
    order the router follows). Blocking: call it from async code through `asyncio.to_thread`, or
    use `acceptor`.
    """
    if not messages:
        return AcceptResult(new=0, duplicates=0)
    with session_factory.begin() as session:
        return accept_in(session, messages)


def accept_in(session: Session, messages: Sequence[InboundMessage]) -> AcceptResult:
    """`accept` in the caller's transaction (the router's, which may take a message in it)."""
    if not messages:
        return AcceptResult(new=0, duplicates=0)
    now = datetime.now(UTC)
    # sorted() is stable: messages with equal timestamps keep the order the platform gave.
    rows = [_row(message, now) for message in sorted(messages, key=lambda m: m.sent_at)]
    statement = _insert_ignoring_duplicates(session).returning(InboxMessage.id)
    new = len(session.execute(statement, rows).all())
    return AcceptResult(new=new, duplicates=len(messages) - new)


def acceptor(
    session_factory: sessionmaker[Session], on_new: Callable[[], None] | None = None
) -> Callable[[Sequence[InboundMessage]], Awaitable[AcceptResult]]:
    """`accept` as the async callable the connectors take; `on_new` runs when something was new.

    Give the router's `notify` as `on_new` so an idle router picks the message up at once.
    """

    async def accept_messages(messages: Sequence[InboundMessage]) -> AcceptResult:
        result = await asyncio.to_thread(accept, session_factory, messages)
        if result.new and on_new is not None:
            on_new()
        return result

    return accept_messages


def _insert_ignoring_duplicates(session: Session) -> Any:
    return insert_ignoring_duplicates(session, InboxMessage, ["platform", "platform_message_id"])


def _row(message: InboundMessage, now: datetime) -> dict[str, Any]:
    return {
        "platform": message.platform,
        "account_id": message.account_id,
        "user_id": message.user_id,
        "platform_message_id": message.message_id,
        "conversation_key": message.conversation_key,
        "text": message.text,
        "payload": message.payload,
        "attachments": [
            {"kind": a.kind, "url": a.url, "description": a.description}
            for a in message.attachments
        ],
        "user_name": message.user_name,
        "user_handle": message.user_handle,
        "sent_at": message.sent_at,
        "received_at": now,
        "status": InboxStatus.PENDING,
        "attempts": 0,
        "next_attempt_at": now,
    }
