"""Engine or desk: while a ticket holds a conversation its messages go to the ticket and the
engine is never asked; once the ticket ends the engine answers again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from inbox import accept
from store.handoffs import NewHandoff, record_handoff
from store.models import HandoffRequest, HandoffStatus, InboxStatus
from tests.engine_client.fake_rasa import FakeRasa
from tests.inbox.database import customer_message, inbox_rows, outbox_rows, until
from tests.router.test_router import all_done, running_router


@pytest.fixture
def ticket(sessions: sessionmaker[Session]) -> Iterator[int]:
    """An open ticket for the conversation of customer u1 on Messenger."""
    with sessions.begin() as session:
        ticket_id = record_handoff(
            session,
            NewHandoff(
                platform="messenger",
                conversation_id="messenger:page-1:u1",
                customer_id="u1",
                reason="customer_request",
                summary="Asked for a person",
            ),
            now=datetime(2026, 1, 1, tzinfo=UTC),
        )
    yield ticket_id
    with sessions.begin() as session:
        session.execute(delete(HandoffRequest))


async def test_a_held_conversations_message_goes_to_the_ticket_and_the_engine_is_not_asked(
    sessions: sessionmaker[Session], fake_rasa: FakeRasa, ticket: int
) -> None:
    told = []
    accept(sessions, [customer_message("hello? anyone?", user="u1")])
    accept(sessions, [customer_message("where is my parcel", user="u2")])

    async with running_router(sessions, fake_rasa, on_ticket_message=lambda: told.append(1)):
        await until(all_done(sessions, 2), what="both messages processed")

    assert [r.sender for r in fake_rasa.received] == ["messenger:page-1:u2"]
    assert [r.conversation_key for r in outbox_rows(sessions)] == ["messenger:page-1:u2"]
    held = next(r for r in inbox_rows(sessions) if r.user_id == "u1")
    assert held.status is InboxStatus.DONE and held.last_error is None
    with sessions() as session:
        row = session.get(HandoffRequest, ticket)
        assert row is not None and row.last_customer_message_at == held.received_at
        assert row.updated_at > row.created_at
    assert told == [1]


async def test_once_the_ticket_is_closed_the_engine_answers_again(
    sessions: sessionmaker[Session], fake_rasa: FakeRasa, ticket: int
) -> None:
    with sessions.begin() as session:
        row = session.get(HandoffRequest, ticket)
        assert row is not None
        row.status = HandoffStatus.CLOSED
    accept(sessions, [customer_message("thanks, one more question", user="u1")])

    async with running_router(sessions, fake_rasa):
        await until(all_done(sessions, 1), what="the message processed")

    assert [r.text for r in fake_rasa.received] == ["thanks, one more question"]
    assert [r.text for r in outbox_rows(sessions)] == ["you said: thanks, one more question"]
