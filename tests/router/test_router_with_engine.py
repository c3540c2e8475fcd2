"""The whole durable path with the real engine: an inbox message becomes the bot's answer in the
outbox, and the engine's tracker records the turn the way crash recovery reads it."""

from __future__ import annotations

import uuid

import pytest

from engine import EngineClient, EngineReply
from inbox import accept
from outbox.messages import Button
from router import Router
from sandbox.stack import Service
from store.db import session_factory
from store.models import InboxMessage, InboxStatus
from tests.inbox.database import customer_message, inbox_rows, outbox_rows, until

pytestmark = pytest.mark.engine

UPS_IN_TRANSIT = "1Z5R89390357567127"  # in the demo store (store/demo_data/README.md)


@pytest.mark.parametrize("assistant_database", ["sqlite"], indirect=True)
async def test_an_inbox_message_becomes_the_bots_answer_in_the_outbox(
    engine: Service, action_server: Service, assistant_database: str
) -> None:
    sessions = session_factory(assistant_database)  # migrated by the action server
    message = customer_message(f"where is my parcel {UPS_IN_TRANSIT}", user=uuid.uuid4().hex)
    accept(sessions, [message])
    [row] = [r for r in inbox_rows(sessions) if r.platform_message_id == message.message_id]

    def answered(inbox_id: int) -> bool:
        with sessions() as session:
            stored = session.get(InboxMessage, inbox_id)
            return stored is not None and stored.status is InboxStatus.DONE

    async with EngineClient(engine.url, timeout=60) as client:
        router = Router(sessions, client, poll_interval=0.1)
        await router.start()
        try:
            await until(lambda: answered(row.id), timeout=120, what="the turn with the engine")
        finally:
            await router.stop()

        replies = [r for r in outbox_rows(sessions) if r.inbox_message_id == row.id]
        assert replies, "the bot said nothing"
        answer = "\n".join(r.text for r in replies)
        assert "UPS" in answer and UPS_IN_TRANSIT in answer
        assert all(r.conversation_key == message.conversation_key for r in replies)

        # What crash recovery would enqueue is exactly what the turn produced.
        recorded = await client.replies_after(message.conversation_key, row.id)
        assert recorded == [
            EngineReply(
                r.text, tuple(Button(b["title"], b["payload"]) for b in r.buttons), r.custom
            )
            for r in replies
        ]
        assert await client.replies_after(message.conversation_key, row.id + 10_000) is None
