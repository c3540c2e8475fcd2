"""`Router.accept`: the connectors' messages are stored, and one of them is taken for its turn in
the same transaction when the router has a slot free, so the turn starts without waiting for
the claim loop; everything else is left to the loop, under the same claim rules.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from engine.replies import EngineReply
from inbox.messages import InboundMessage
from router import Router, inbox_queue
from router.inbox_queue import Turn, claim_due
from store.models import InboxStatus
from tests.engine_client.fake_rasa import FakeRasa
from tests.inbox.database import customer_message, inbox_rows, until
from tests.router.test_router import all_done, running_router

# The loop looks by itself only every minute: what starts sooner was taken at once.
LOOP_ASLEEP = 60.0


async def accepted_now(router: Router, *messages: InboundMessage) -> None:
    result = await router.accept(list(messages))
    assert result.new == len(messages)


async def test_an_accepted_message_starts_its_turn_without_the_claim_loop(
    sessions: sessionmaker[Session], fake_rasa: FakeRasa
) -> None:
    async with running_router(sessions, fake_rasa, poll_interval=LOOP_ASLEEP) as router:
        await asyncio.sleep(0.1)  # the loop's first look, at start, is over: it sleeps now
        await accepted_now(router, customer_message("hello"))
        await until(all_done(sessions, 1), timeout=2.0)

    [row] = inbox_rows(sessions)
    assert row.attempts == 1
    assert fake_rasa.texts_from("messenger:page-1:u1") == ["hello"]


async def test_the_message_is_taken_in_the_transaction_that_stores_it(
    sessions: sessionmaker[Session], fake_rasa: FakeRasa, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken_by_the_loop: list[Turn] = []

    def loop_claim(*args: Any) -> list[Turn]:
        turns = claim_due(*args)
        taken_by_the_loop.extend(turns)
        return turns

    monkeypatch.setattr(inbox_queue, "claim_due", loop_claim)
    fake_rasa.delay = 0.3

    async with running_router(sessions, fake_rasa) as router:  # its loop looking all along
        await accepted_now(router, customer_message("hello"))
        # When the webhook may answer, the message is stored and already in work.
        assert [r.status for r in inbox_rows(sessions)] == [InboxStatus.PROCESSING]
        await until(all_done(sessions, 1))

    assert taken_by_the_loop == []


async def test_a_conversations_next_message_waits_for_its_turn_and_follows_it(
    sessions: sessionmaker[Session], fake_rasa: FakeRasa
) -> None:
    fake_rasa.delay = 0.2

    async with running_router(sessions, fake_rasa, poll_interval=LOOP_ASLEEP) as router:
        await accepted_now(router, customer_message("first"))
        await until(lambda: len(fake_rasa.received) == 1)
        await accepted_now(router, customer_message("second"))  # during the first's turn
        assert [r.status for r in inbox_rows(sessions)] == [
            InboxStatus.PROCESSING,
            InboxStatus.PENDING,
        ]
        await until(all_done(sessions, 2), timeout=2.0)

    assert fake_rasa.texts_from("messenger:page-1:u1") == ["first", "second"]
    assert fake_rasa.most_in_flight_per_conversation == 1


async def test_with_every_slot_busy_a_message_waits_for_the_claim_loop(
    sessions: sessionmaker[Session], fake_rasa: FakeRasa
) -> None:
    fake_rasa.delay = 0.3

    async with running_router(sessions, fake_rasa, concurrency=1) as router:
        await accepted_now(router, customer_message("hi", user="u1"))
        await accepted_now(router, customer_message("hi", user="u2"))
        assert [r.status for r in inbox_rows(sessions)] == [
            InboxStatus.PROCESSING,
            InboxStatus.PENDING,
        ]
        await until(all_done(sessions, 2))

    assert fake_rasa.most_in_flight == 1


async def test_a_batch_takes_one_message_and_leaves_the_others_to_the_loop(
    sessions: sessionmaker[Session], fake_rasa: FakeRasa
) -> None:
    batch = [customer_message("hi", user=f"u{n}") for n in range(3)]

    async with running_router(sessions, fake_rasa) as router:
        await accepted_now(router, *batch)
        await until(all_done(sessions, 3))

    assert sorted(r.sender for r in fake_rasa.received) == [
        f"messenger:page-1:u{n}" for n in range(3)
    ]


async def test_a_redelivered_message_is_neither_stored_nor_taken_again(
    sessions: sessionmaker[Session], fake_rasa: FakeRasa
) -> None:
    message = customer_message("hello")

    async with running_router(sessions, fake_rasa) as router:
        await accepted_now(router, message)
        await until(all_done(sessions, 1))
        again = await router.accept([message])

    assert (again.new, again.duplicates) == (0, 1)
    assert len(fake_rasa.received) == 1


async def test_after_a_message_that_failed_the_conversations_next_one_goes_at_once(
    sessions: sessionmaker[Session],
) -> None:
    class BuggyEngine:
        def __init__(self) -> None:
            self.texts: list[str] = []

        async def turn(
            self, sender_id: str, text: str, metadata: Mapping[str, Any]
        ) -> list[EngineReply]:
            self.texts.append(text)
            await asyncio.sleep(0.1)
            if text == "boom":
                raise RuntimeError("a bug")
            return [EngineReply(f"you said: {text}")]

        async def replies_after(self, sender_id: str, inbox_id: int | str) -> None:
            return None

    engine = BuggyEngine()
    router = Router(sessions, engine, poll_interval=LOOP_ASLEEP)
    await router.start()
    try:
        await accepted_now(router, customer_message("boom"))
        await until(lambda: engine.texts == ["boom"])
        await accepted_now(router, customer_message("next"))  # waits for the failing turn
        await until(
            lambda: (
                [r.status for r in inbox_rows(sessions)] == [InboxStatus.FAILED, InboxStatus.DONE]
            ),
            timeout=2.0,
        )
    finally:
        await router.stop(grace=1.0)
